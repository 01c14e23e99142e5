import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { serverUrl } from './databases.js';
import { root } from './processes.js';

/**
 * A database of its own on the tier's PostgreSQL server (`TG_POSTGRES_URL`), so that suites
 * never share tables. Throws, naming the command, when the tier has no server.
 */
export async function freshDatabase(
  name: string,
  server: string = serverUrl('postgres'),
): Promise<{ url: string; stop: () => Promise<void> }> {
  await adminQuery(server, [
    `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`,
    `CREATE DATABASE ${name}`,
  ]);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    stop: () => adminQuery(server, [`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]),
  };
}

async function adminQuery(url: string, statements: string[]): Promise<void> {
  const db = new DataSource({ type: 'postgres', url });
  await db.initialize();
  try {
    for (const sql of statements) await db.query(sql);
  } finally {
    await db.destroy();
  }
}

/** A throwaway server of a suite's own, which it may stop and start again (an outage). */
export interface OwnServer {
  readonly url: string;
  halt(): void;
  resume(): void;
  stop(): void;
}

/**
 * A throwaway PostgreSQL cluster (scripts/pg-cluster.sh) or MariaDB server
 * (scripts/mariadb-server.sh) of the suite's own. Throws, naming the package, when the server's
 * binaries are missing.
 */
export function ownServer(kind: 'postgres' | 'mysql'): OwnServer {
  return kind === 'postgres'
    ? ownScriptServer('pg-cluster.sh', 'postgresql')
    : ownScriptServer('mariadb-server.sh', 'mariadb-server');
}

function ownScriptServer(scriptName: string, pkg: string): OwnServer {
  const parent = mkdtempSync(join(tmpdir(), 'tg-own-'));
  chmodSync(parent, 0o755); // PostgreSQL runs as 'postgres' when the tests run as root
  const dir = join(parent, 'server');
  const script = join(root, 'scripts', scriptName);
  let out: string;
  try {
    out = execFileSync(script, ['start', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    throw new Error(
      `scripts/${scriptName} could not start a server of this suite's own: install Debian's '${pkg}' (apt-get install ${pkg}). ${String((err as { stderr?: unknown }).stderr ?? err).trim()}`,
      { cause: err },
    );
  }
  return {
    url: out.trim().split('\n').pop()!,
    halt: () => execFileSync(script, ['halt', dir]),
    resume: () => execFileSync(script, ['resume', dir]),
    stop: () => execFileSync(script, ['stop', dir]),
  };
}
