import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Database as DatabaseKind } from './databases.js';

/**
 * SQL of a suite's own on a database (to set rows up and read them back), written once for
 * every database: identifiers through `q`, parameters through `p(n)`.
 */
export interface RawSql {
  /** An identifier, quoted for this database. */
  q(name: string): string;
  /** The n-th parameter's placeholder (1-based). */
  p(n: number): string;
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** An INSERT of one row; the id the database gave it. */
  insert(sql: string, params?: readonly unknown[]): Promise<number>;
  end(): Promise<void>;
}

/** Raw SQL on a SQLite file or a server database's URL. */
export function rawSql(kind: DatabaseKind, where: string): RawSql {
  if (kind === 'sqlite') {
    const db = new Database(where);
    return {
      q: (n) => `"${n}"`,
      p: () => '?',
      query: <T>(sql: string, params: readonly unknown[] = []) => {
        const statement = db.prepare(sql);
        if (statement.reader) return Promise.resolve(statement.all(...params) as T[]);
        statement.run(...params);
        return Promise.resolve([] as T[]);
      },
      insert: (sql, params = []) =>
        Promise.resolve(Number(db.prepare(sql).run(...params).lastInsertRowid)),
      end: () => Promise.resolve(void db.close()),
    };
  }
  if (kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: where, max: 2 });
    pool.on('error', () => undefined);
    return {
      q: (n) => `"${n}"`,
      p: (n) => `$${n}`,
      query: async <T>(sql: string, params: readonly unknown[] = []) =>
        (await pool.query(sql, [...params])).rows as T[],
      insert: async (sql, params = []) =>
        Number(
          ((await pool.query(`${sql} RETURNING id`, [...params])).rows[0] as { id: unknown }).id,
        ),
      end: () => pool.end(),
    };
  }
  const pool = mysql.createPool({ uri: where, connectionLimit: 2 });
  return {
    q: (n) => `\`${n}\``,
    p: () => '?',
    query: async <T>(sql: string, params: readonly unknown[] = []) =>
      (await pool.query(sql, [...params]))[0] as T[],
    insert: async (sql, params = []) =>
      ((await pool.query(sql, [...params]))[0] as { insertId: number }).insertId,
    end: () => pool.end(),
  };
}
