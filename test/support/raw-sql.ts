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
  /** Statements in order on one connection (a transaction, session settings). */
  session(statements: readonly string[]): Promise<void>;
  end(): Promise<void>;
}

/**
 * better-sqlite3's `SqliteError` is not made by `new Error`, and the addon keeps the class of the
 * first module instance that loaded it in the process: in a Jest worker that ran another test
 * file first, its errors are not `instanceof Error` of this file's realm, and `rejects.toThrow`
 * reports "did not throw" for a statement that was refused. Errors here are this realm's.
 */
function thisRealm(err: unknown): Error {
  const e = err as { message?: unknown; code?: unknown };
  return Object.assign(new Error(String(e.message ?? err)), { code: e.code, cause: err });
}

/** Raw SQL on a SQLite file or a server database's URL. */
export function rawSql(kind: DatabaseKind, where: string): RawSql {
  if (kind === 'sqlite') {
    const db = new Database(where);
    // async: a refused statement rejects, as on the servers, with an Error of this test file.
    const run = <R>(work: () => R): Promise<R> => {
      try {
        return Promise.resolve(work());
      } catch (err) {
        return Promise.reject(thisRealm(err));
      }
    };
    return {
      q: (n) => `"${n}"`,
      p: () => '?',
      query: <T>(sql: string, params: readonly unknown[] = []) =>
        run(() => {
          const statement = db.prepare(sql);
          if (statement.reader) return statement.all(...params) as T[];
          statement.run(...params);
          return [] as T[];
        }),
      insert: (sql, params = []) =>
        run(() => Number(db.prepare(sql).run(...params).lastInsertRowid)),
      session: (statements) => run(() => statements.forEach((q) => db.exec(q))),
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
      session: async (statements) => {
        const client = await pool.connect();
        try {
          for (const q of statements) await client.query(q);
        } finally {
          client.release();
        }
      },
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
    session: async (statements) => {
      const connection = await pool.getConnection();
      try {
        for (const q of statements) await connection.query(q);
      } finally {
        connection.release();
      }
    },
    end: () => pool.end(),
  };
}
