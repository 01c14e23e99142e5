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
): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = serverUrl('postgres');
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

/**
 * A throwaway cluster of the suite's own, which it may stop and start (an outage), with
 * scripts/pg-cluster.sh. Throws, naming the package, when the server binaries are missing.
 */
export function ownCluster(): {
  url: string;
  halt: () => void;
  resume: () => void;
  stop: () => void;
} {
  const parent = mkdtempSync(join(tmpdir(), 'tg-pg-own-'));
  chmodSync(parent, 0o755); // the server runs as 'postgres' when the tests run as root
  const dir = join(parent, 'cluster');
  const script = join(root, 'scripts/pg-cluster.sh');
  let out: string;
  try {
    out = execFileSync(script, ['start', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    throw new Error(
      `scripts/pg-cluster.sh could not start a cluster of this suite's own: install Debian's 'postgresql' (apt-get install postgresql). ${String((err as { stderr?: unknown }).stderr ?? err).trim()}`,
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
