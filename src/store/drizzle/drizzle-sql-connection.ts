import { is, sql, type SQL } from 'drizzle-orm';
import { PgDatabase, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import {
  plainRow,
  type SqlConnection,
  type SqlQueries,
  type SqlRow,
} from '../sql/sql-connection.js';
import { DrizzleConnection, type DrizzleDatabase } from './drizzle-connection.js';

/**
 * Raw SQL with placeholders on a Drizzle database (or a transaction of it), as the SQL stores
 * run it (`DrizzleOutboxStore`): the text is cut at its placeholders into a Drizzle `sql`
 * object whose values are parameters, never text. Transactions are `DrizzleConnection`'s.
 */
export class DrizzleSqlConnection implements SqlConnection {
  private readonly connection: DrizzleConnection;

  constructor(readonly db: DrizzleDatabase) {
    this.connection = new DrizzleConnection(db);
  }

  get postgres(): boolean {
    return this.connection.postgres;
  }

  get scope(): unknown {
    return this.db;
  }

  placeholder(n: number): string {
    return this.postgres ? `$${n}` : '?';
  }

  run<T>(mode: 'plain' | 'transaction', work: (q: SqlQueries) => Promise<T>): Promise<T> {
    return this.connection.run(mode, (q) => work(this.on(q)));
  }

  queriesOf(handle: unknown): SqlQueries | undefined {
    return is(handle, PgDatabase) || is(handle, BaseSQLiteDatabase) ? this.on(handle) : undefined;
  }

  private on(handle: unknown): SqlQueries {
    if (this.postgres) {
      const pg = handle as PgDatabase<PgQueryResultHKT>;
      const run = async (text: string, params: readonly unknown[]) =>
        (await pg.execute(statement(text, params))) as unknown as {
          rows: SqlRow[];
          rowCount: number | null;
        };
      return {
        query: async (text, params) => (await run(text, params)).rows.map(plainRow),
        execute: async (text, params) => (await run(text, params)).rowCount ?? 0,
        handle,
      };
    }
    const lite = handle as BaseSQLiteDatabase<'sync' | 'async', unknown>;
    return {
      query: async (text, params) =>
        ((await lite.all(statement(text, params))) as SqlRow[]).map(plainRow),
      execute: async (text, params) =>
        ((await lite.run(statement(text, params))) as { changes?: number }).changes ?? 0,
      handle,
    };
  }
}

/** `text` with `$n` or `?` placeholders as a Drizzle `sql` object: the values as parameters. */
function statement(text: string, params: readonly unknown[]): SQL {
  const chunks: SQL[] = [];
  let last = 0;
  let next = 0;
  for (const m of text.matchAll(/\$(\d+)|\?/g)) {
    chunks.push(sql.raw(text.slice(last, m.index)));
    const numbered = m[1] as string | undefined; // `$n`; undefined for `?`
    const value = numbered === undefined ? params[next++] : params[Number(numbered) - 1];
    chunks.push(sql`${value}`);
    last = m.index + m[0].length;
  }
  chunks.push(sql.raw(text.slice(last)));
  return sql.join(chunks);
}
