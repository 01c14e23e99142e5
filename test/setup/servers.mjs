/**
 * Global setup of `npm run test:all`: one server per database for the whole run, started here
 * unless the caller gave one (`TG_POSTGRES_URL`, `TG_MYSQL_URL`, as `.ci/run` may). Suites make
 * databases of their own on it. A server that cannot start fails the run with the package that
 * provides it: a tier never skips its databases.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Each database of the tier: its URL variable, the script that starts a throwaway server, the package. */
export const SERVERS = [
  { db: 'postgres', env: 'TG_POSTGRES_URL', script: 'scripts/pg-cluster.sh', pkg: 'postgresql' },
  { db: 'mysql', env: 'TG_MYSQL_URL', script: 'scripts/mariadb-server.sh', pkg: 'mariadb-server' },
];

export default async function startServers() {
  const started = [];
  for (const server of SERVERS) {
    if (process.env[server.env]) continue;
    const parent = mkdtempSync(join(tmpdir(), `tg-${server.db}-`));
    chmodSync(parent, 0o755); // PostgreSQL runs as 'postgres' when the tests run as root
    const dir = join(parent, 'server');
    let out;
    try {
      out = execFileSync(join(root, server.script), ['start', dir], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      for (const s of started) stop(s);
      rmSync(parent, { recursive: true, force: true });
      throw new Error(
        `npm run test:all needs a ${server.db} server: ${server.script} failed. Install Debian's '${server.pkg}' ` +
          `(apt-get install ${server.pkg}) or set ${server.env}.\n${String(err.stderr ?? err)}`,
        { cause: err },
      );
    }
    process.env[server.env] = out.trim().split('\n').pop();
    started.push({ ...server, dir, parent });
  }
  process.env.TG_DATABASES = ['sqlite', ...SERVERS.map((s) => s.db)].join(',');
  globalThis.__tgServers = started;
}

export function stop(server) {
  try {
    execFileSync(join(root, server.script), ['stop', server.dir], { stdio: 'ignore' });
  } finally {
    rmSync(server.parent, { recursive: true, force: true });
  }
}
