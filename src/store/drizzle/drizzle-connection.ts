import { is, sql, type SQL, type Table } from 'drizzle-orm';
import { PgDatabase, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import { ambientTransaction, type TransactionHostLike } from '../ambient-transaction.js';
import { serially } from '../serial-queue.js';

/**
 * A Drizzle database the stores run on: SQLite (better-sqlite3; other SQLite drivers untested)
 * or PostgreSQL (node-postgres).
 */
export type DrizzleDatabase =
  // Any schema: the stores use the query builders, never the relational queries.
  | BaseSQLiteDatabase<'sync' | 'async', unknown, Record<string, unknown>>
  | PgDatabase<PgQueryResultHKT, Record<string, unknown>>;

type Row = Record<string, unknown>;

/** A select being built: awaiting it runs it. */
export interface SelectQuery extends PromiseLike<Row[]> {
  where(condition: SQL | undefined): SelectQuery;
  orderBy(...order: SQL[]): SelectQuery;
  limit(count: number): SelectQuery;
  /** PostgreSQL only. */
  for(strength: 'update'): SelectQuery;
  /** A prepared statement (PostgreSQL needs its name); run it with the placeholders' values. */
  prepare(name?: string): PreparedSelect;
  /** The SQL text it will run. */
  toSQL(): { sql: string };
}

/** A prepared select: the same SQL text each time, its placeholders given per call. */
export interface PreparedSelect {
  execute(values: Record<string, unknown>): PromiseLike<Row[]> | Row[];
}

/** A write being built: awaiting it runs it; `returning()` yields the rows it wrote. */
export interface WriteQuery extends PromiseLike<unknown> {
  where(condition: SQL | undefined): WriteQuery;
  returning(fields?: Record<string, unknown>): ReturningQuery;
  onConflictDoNothing(): WriteQuery;
}

/** A write that yields the rows it wrote: awaiting it runs it, or prepare it once. */
export interface ReturningQuery extends PromiseLike<Row[]> {
  prepare(name?: string): PreparedSelect;
  toSQL(): { sql: string };
}

/**
 * The part of Drizzle's query builders the stores use: the same on SQLite and PostgreSQL, on the
 * database and on a transaction of it. Drizzle's own types are per dialect.
 */
export interface Queries {
  select(fields?: Record<string, unknown>): { from(table: Table): SelectQuery };
  update(table: Table): { set(values: Row): WriteQuery };
  insert(table: Table): { values(values: Row | Row[]): WriteQuery };
  delete(table: Table): WriteQuery;
}

/**
 * How store work runs on a Drizzle database. PostgreSQL: on the pool, or in `db.transaction()`.
 * SQLite: one call at a time per database (better-sqlite3 has one connection, and a statement
 * run while another call's transaction is open would join it), transactions opened with
 * `BEGIN IMMEDIATE` (the write lock first, so that two processes never deadlock upgrading a read
 * lock); Drizzle's own `transaction()` cannot be used there, since better-sqlite3's
 * transactions refuse async work (drizzle-orm issues 1472, 2275).
 */
export class DrizzleConnection {
  readonly postgres: boolean;

  constructor(
    readonly db: DrizzleDatabase,
    private readonly transactionHost?: TransactionHostLike<unknown>,
  ) {
    if (is(db, PgDatabase)) this.postgres = true;
    else if (is(db, BaseSQLiteDatabase)) this.postgres = false;
    else {
      throw new Error(
        'nestjs-transition-guard/drizzle: the database is neither a Drizzle SQLite database nor a PostgreSQL one. ' +
          "Pass what drizzle() returns, e.g. drizzle(new Database('app.sqlite')) from 'drizzle-orm/better-sqlite3' or drizzle(pool) from 'drizzle-orm/node-postgres'.",
      );
    }
  }

  /** The database's query builders, typed as the stores use them. */
  get queries(): Queries {
    return this.db as unknown as Queries;
  }

  /** The app's open transaction (`transactionHost`, while one is active), if any. */
  ambient(): Queries | undefined {
    return ambientTransaction(this.transactionHost) as Queries | undefined;
  }

  /**
   * Runs `work` alone (`plain`) or in a transaction; the handle it gets runs queries, in the
   * transaction when there is one, and is what `beforeCommit` hooks receive. Inside the app's
   * transaction, on it: it commits with it.
   */
  run<T>(mode: 'plain' | 'transaction', work: (q: Queries) => Promise<T>): Promise<T> {
    const joined = this.ambient();
    if (joined) return work(joined);
    if (this.postgres) {
      if (mode === 'plain') return work(this.queries);
      const pg = this.db as PgDatabase<PgQueryResultHKT>;
      return pg.transaction((tx) => work(tx as unknown as Queries));
    }
    return serially(this.db, () =>
      mode === 'plain' ? work(this.queries) : this.sqliteTransaction(work),
    );
  }

  private async sqliteTransaction<T>(work: (q: Queries) => Promise<T>): Promise<T> {
    const db = this.db as BaseSQLiteDatabase<'sync' | 'async', unknown>;
    await db.run(sql.raw('BEGIN IMMEDIATE'));
    try {
      const result = await work(this.queries);
      await db.run(sql.raw('COMMIT'));
      return result;
    } catch (err) {
      try {
        await db.run(sql.raw('ROLLBACK'));
      } catch {
        // The connection is gone: SQLite rolled the transaction back itself.
      }
      throw err;
    }
  }
}
