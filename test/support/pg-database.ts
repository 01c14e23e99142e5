import { DataSource } from 'typeorm';
import { postgres } from '../race/postgres-cluster.js';

/**
 * A database of its own on the test cluster (`TG_POSTGRES_URL`, or a throwaway cluster), so that
 * suites never share tables. Undefined (with the reason printed) when no server can be had.
 */
export async function freshDatabase(
  name: string,
): Promise<{ url: string; stop: () => Promise<void> } | undefined> {
  const server = postgres();
  if (!('url' in server)) {
    console.warn(`${name}: PostgreSQL cases skipped: ${server.skip}`);
    return undefined;
  }
  await adminQuery(server.url, [
    `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`,
    `CREATE DATABASE ${name}`,
  ]);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    stop: async () => {
      await adminQuery(server.url, [`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
      server.stop();
    },
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
