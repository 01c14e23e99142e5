import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../test/support/processes.js';

type Server = { url: string; stop: () => void } | { skip: string };

/**
 * The PostgreSQL server the benchmark's rows run on: `TG_POSTGRES_URL`, else a throwaway cluster
 * started with scripts/pg-cluster.sh. The reason instead, when neither can be had: the benchmark
 * then prints which rows it left out.
 */
export function postgres(): Server {
  return server(process.env.TG_POSTGRES_URL, 'pg-cluster.sh');
}

/** The MariaDB server of the benchmark's MySQL rows: `TG_MYSQL_URL`, else a throwaway one. */
export function mysqlServer(): Server {
  return server(process.env.TG_MYSQL_URL, 'mariadb-server.sh');
}

function server(given: string | undefined, scriptName: string): Server {
  if (given) return { url: given, stop: () => undefined };
  const parent = mkdtempSync(join(tmpdir(), 'tg-bench-server-'));
  chmodSync(parent, 0o755); // PostgreSQL runs as 'postgres' when run as root
  const dir = join(parent, 'server');
  const script = join(root, 'scripts', scriptName);
  try {
    const out = execFileSync(script, ['start', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { url: out.trim().split('\n').pop()!, stop: () => execFileSync(script, ['stop', dir]) };
  } catch (err) {
    return {
      skip: `no server: scripts/${scriptName} failed (${String((err as { stderr?: unknown }).stderr ?? err).trim()})`,
    };
  }
}
