import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { serverUrl, type Database } from './databases.js';
import { freshDatabase } from './pg-database.js';
import { createTables, type Tables } from './store-tables.js';

/** A database of a suite's own: a SQLite file, or a database on the tier's server. */
export interface Place {
  readonly kind: Database;
  /** The SQLite file, or the server database's URL. */
  readonly where: string;
  drop(): Promise<void>;
}

/**
 * A database of its own (`name`, unique per suite) on the tier's server for `kind` (a new SQLite
 * file in a temporary folder for SQLite), with `tables` created.
 */
export async function freshPlace(kind: Database, name: string, tables?: Tables): Promise<Place> {
  let place: Place;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `tg-${name}-`));
    place = {
      kind,
      where: join(dir, `${name}.sqlite`),
      drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  } else if (kind === 'postgres') {
    const db = await freshDatabase(name);
    place = { kind, where: db.url, drop: db.stop };
  } else {
    const db = await freshMysqlDatabase(name);
    place = { kind, where: db.url, drop: db.stop };
  }
  if (tables) await createTables(kind, place.where, tables);
  return place;
}

/** A database of its own on a MariaDB server (by default the tier's, `TG_MYSQL_URL`). */
export async function freshMysqlDatabase(
  name: string,
  server: string = serverUrl('mysql'),
): Promise<{ url: string; stop: () => Promise<void> }> {
  const admin = async (statements: string[]) => {
    // A loaded 2-core machine can take more than mysql2's default 10 s for a handshake.
    const connection = await mysql.createConnection({ uri: server, connectTimeout: 30_000 });
    try {
      for (const sql of statements) await connection.query(sql);
    } finally {
      await connection.end();
    }
  };
  await admin([`DROP DATABASE IF EXISTS \`${name}\``, `CREATE DATABASE \`${name}\``]);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), stop: () => admin([`DROP DATABASE IF EXISTS \`${name}\``]) };
}
