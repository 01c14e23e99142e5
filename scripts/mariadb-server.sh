#!/usr/bin/env bash
# A throwaway MariaDB (MySQL) server on loopback, for the tests and benchmarks on MySQL.
#   scripts/mariadb-server.sh start DIR    initialise DIR, start on a free port, create database
#                                           'race' and user 'tg'; prints the URL on stdout (last line)
#   scripts/mariadb-server.sh stop DIR     stop it and remove DIR
#   scripts/mariadb-server.sh halt DIR     stop the server, keep DIR: an outage
#   scripts/mariadb-server.sh resume DIR   start it again on the same port
# Needs Debian's 'mariadb-server' (mariadbd, mariadb-install-db, mariadb-admin). Durability is off
# (a test database): no binary log, the redo log flushed once a second.
set -euo pipefail
cmd=${1:?start|stop|halt|resume}
dir=${2:?data directory}

for tool in mariadbd mariadb-install-db mariadb-admin mariadb; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    echo "mariadb-server: $tool not found (install the Debian package 'mariadb-server')" >&2
    exit 3
  fi
done
server=$(command -v mariadbd || echo /usr/sbin/mariadbd)

serve() {
  local port=$1
  "$server" --no-defaults --user=root --datadir="$dir/data" --socket="$dir/sock" --port="$port" \
    --bind-address=127.0.0.1 --skip-name-resolve --pid-file="$dir/pid" --log-error="$dir/server.log" \
    --skip-log-bin --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --sync-binlog=0 \
    --innodb-buffer-pool-size=256M --max-connections=500 --max-allowed-packet=64M \
    >/dev/null 2>&1 &
  for _ in $(seq 1 300); do
    if mariadb-admin --no-defaults --socket="$dir/sock" -uroot ping >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "mariadb-server: did not start within 30 s; its log:" >&2
  tail -n 20 "$dir/server.log" >&2 || true
  exit 1
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
    mariadb-install-db --no-defaults --user=root --datadir="$dir/data" \
      --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 \
      || { cat "$dir/install.log" >&2; exit 1; }
    serve "$port"
    mariadb --no-defaults --socket="$dir/sock" -uroot -e \
      "CREATE DATABASE race; CREATE USER 'tg'@'127.0.0.1' IDENTIFIED BY 'tg'; GRANT ALL ON *.* TO 'tg'@'127.0.0.1' WITH GRANT OPTION;"
    echo "$port" >"$dir/port"
    echo "mysql://tg:tg@127.0.0.1:$port/race"
    ;;
  halt)
    mariadb-admin --no-defaults --socket="$dir/sock" -uroot shutdown >/dev/null 2>&1 || true
    ;;
  resume)
    serve "$(cat "$dir/port")"
    ;;
  stop)
    if [ -S "$dir/sock" ]; then
      mariadb-admin --no-defaults --socket="$dir/sock" -uroot shutdown >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop|halt|resume DIR" >&2
    exit 2
    ;;
esac
