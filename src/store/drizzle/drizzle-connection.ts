import { createHash } from 'node:crypto';
import { is, sql, type SQL } from 'drizzle-orm';
import { MySqlDatabase } from 'drizzle-orm/mysql-core';
import type { MySql2Database } from 'drizzle-orm/mysql2';
import { PgDatabase, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import {
  ambientTransaction,
  joinedTransaction,
  type JoinedTransaction,
  type TransactionHostLike,
} from '../ambient-transaction.js';
import { serially } from '../serial-queue.js';
import { MYSQL, POSTGRES, SQLITE, type SqlDialect } from '../sql/dialect.js';
import {
  plainRow,
  type RunMode,
  type SqlConnection,
  type SqlQueries,
  type SqlRow,
} from '../sql/sql-connection.js';

/**
 * A Drizzle database the stores run on: SQLite (better-sqlite3; other SQLite drivers untested),
 * PostgreSQL (node-postgres) or MySQL and MariaDB (mysql2; other drivers untested).
 */
export type DrizzleDatabase =
  // Any schema: the stores run SQL, never the relational queries.
  | BaseSQLiteDatabase<'sync' | 'async', unknown, Record<string, unknown>>
  | PgDatabase<PgQueryResultHKT, Record<string, unknown>>
  | MySql2Database<Record<string, unknown>>;

/** better-sqlite3's statements, as far as the stores use them. */
interface SqliteStatement {
  readonly reader: boolean;
  all(...params: unknown[]): SqlRow[];
  run(...params: unknown[]): { changes: number };
}
interface SqliteClient {
  prepare(sql: string): SqliteStatement;
}
/** node-postgres's pool, as far as the stores use it. */
interface PgPool {
  query(config: { name?: string; text: string; values: unknown[] }): Promise<{
    rows: SqlRow[];
    rowCount: number | null;
  }>;
}
/** mysql2's promise pool, as far as the stores use it. */
interface MySqlPool {
  execute(sql: string, values: unknown[]): Promise<[unknown, unknown]>;
}

/** The pools `surviveConnectionErrors` saw (each store of a database constructs a connection). */
const survived = new WeakSet<object>();

/**
 * An `error` event with no listener kills the process. node-postgres emits one on its `Pool`
 * when an idle connection is cut (the server restarted, `pg_terminate_backend`, a proxy
 * timeout), and on a checked-out `Client` whose connection is cut between two queries (in a
 * transaction, say), where the pool listens no more. So: a listener on the pool when the app
 * gave it none, and one on every connection the pool opens. They leave the broken connection to
 * fail its next query (an outage: 503) and the pool to drop it, and warn once a minute at most.
 */
function surviveConnectionErrors(client: unknown): void {
  type Emitter = {
    on(event: string, listener: (arg: never) => void): unknown;
    listenerCount(event: string): number;
  };
  const pool = client as Partial<Emitter> & { connect?: unknown; totalCount?: unknown };
  if (typeof pool.on !== 'function' || typeof pool.listenerCount !== 'function') return;
  if (survived.has(pool)) return;
  survived.add(pool);
  let warnedAt = 0;
  const warn = (err: Error) => {
    if (Date.now() - warnedAt < 60_000) return;
    warnedAt = Date.now();
    process.emitWarning(
      `nestjs-transition-guard/drizzle: a database connection failed and is dropped (${err.message}); ` +
        "give your pool an 'error' listener of your own to log these",
      { code: 'TG_POOL_ERROR' },
    );
  };
  if (pool.listenerCount('error') === 0) pool.on('error', warn);
  // node-postgres's Pool: its connections, as they open.
  if (typeof pool.connect === 'function' && typeof pool.totalCount === 'number') {
    pool.on('connect', (connection: Emitter) => {
      connection.on('error', warn);
    });
  }
}

/** A database or a transaction of it, with the part of Drizzle's API the stores use. */
interface DrizzleHandle {
  run?(query: SQL): unknown;
  all?(query: SQL): unknown;
  execute?(query: SQL): Promise<unknown>;
}

/**
 * How the SQL core runs on a Drizzle database. Statements alone run on the driver Drizzle was
 * given (`db.$client`), prepared once: better-sqlite3 statements kept per text, PostgreSQL
 * statements named by their text's hash (the server keeps their plan per connection), mysql2's
 * `execute` (which keeps its prepared statements per connection). Transactions run through
 * Drizzle: on PostgreSQL and MySQL `db.transaction()`, whose handle `beforeCommit` hooks get; on
 * SQLite one call at a time per database (better-sqlite3 has one connection, and a statement run
 * while another call's transaction is open would join it), opened with `BEGIN IMMEDIATE`
 * (Drizzle's own `transaction()` refuses async work there: drizzle-orm issues 1472, 2275).
 * Inside the app's transaction (`transactionHost`), on it.
 */
export class DrizzleConnection implements SqlConnection {
  readonly dialect: SqlDialect;
  readonly beginsImmediate = true;
  private readonly sqliteStatements = new Map<string, SqliteStatement>();

  constructor(
    readonly db: DrizzleDatabase,
    private readonly transactionHost?: TransactionHostLike<unknown>,
  ) {
    if (is(db, PgDatabase)) this.dialect = POSTGRES;
    else if (is(db, BaseSQLiteDatabase)) this.dialect = SQLITE;
    else if (is(db, MySqlDatabase)) this.dialect = MYSQL;
    else {
      throw new Error(
        'nestjs-transition-guard/drizzle: the database is not a Drizzle SQLite, PostgreSQL or MySQL database. ' +
          "Pass what drizzle() returns, e.g. drizzle(new Database('app.sqlite')) from 'drizzle-orm/better-sqlite3', " +
          "drizzle(pool) from 'drizzle-orm/node-postgres' or drizzle(pool) from 'drizzle-orm/mysql2'.",
      );
    }
    if (this.dialect !== SQLITE)
      surviveConnectionErrors((db as unknown as { $client: unknown }).$client);
  }

  get scope(): unknown {
    return this.db;
  }

  /** The app's open transaction (`transactionHost`, while one is active), if any. */
  ambient(): unknown {
    return ambientTransaction(this.transactionHost);
  }

  inAppTransaction(): boolean {
    return this.ambient() !== undefined;
  }

  joined(store: string): JoinedTransaction | undefined {
    const tx = this.ambient();
    return tx === undefined ? undefined : joinedTransaction(tx as object, store);
  }

  run<T>(mode: RunMode, work: (q: SqlQueries) => Promise<T>): Promise<T> {
    const joined = this.ambient();
    if (joined !== undefined) return work(this.through(joined));
    if (this.dialect === SQLITE) {
      return serially(this.db, () =>
        mode === 'plain' ? work(this.onDriver()) : this.sqliteTransaction(work),
      );
    }
    if (mode === 'plain') return work(this.onDriver());
    const db = this.db as unknown as {
      transaction<R>(fn: (tx: unknown) => Promise<R>): Promise<R>;
    };
    return db.transaction((tx) => work(this.through(tx)));
  }

  queriesOf(handle: unknown): SqlQueries | undefined {
    if (handle === this.db) return this.dialect === SQLITE ? this.onDriver() : this.through(handle);
    return is(handle, PgDatabase) || is(handle, BaseSQLiteDatabase) || is(handle, MySqlDatabase)
      ? this.through(handle)
      : undefined;
  }

  private async sqliteTransaction<T>(work: (q: SqlQueries) => Promise<T>): Promise<T> {
    const q = this.onDriver();
    await q.execute('BEGIN IMMEDIATE', []);
    try {
      const result = await work(q);
      await q.execute('COMMIT', []);
      return result;
    } catch (err) {
      try {
        await q.execute('ROLLBACK', []);
      } catch {
        // The connection is gone: SQLite rolled the transaction back itself.
      }
      throw err;
    }
  }

  /** Statements on the driver itself, prepared once (see the class). */
  private onDriver(): SqlQueries {
    const client = (this.db as unknown as { $client: unknown }).$client;
    switch (this.dialect) {
      case SQLITE: {
        const sqlite = client as SqliteClient;
        const prepared = (text: string) => {
          let statement = this.sqliteStatements.get(text);
          if (!statement) {
            statement = sqlite.prepare(text);
            this.sqliteStatements.set(text, statement);
          }
          return statement;
        };
        return {
          query: (text, params) => {
            const statement = prepared(text);
            return Promise.resolve(
              statement.reader ? statement.all(...params) : (statement.run(...params), []),
            );
          },
          execute: (text, params) => Promise.resolve(prepared(text).run(...params).changes),
          handle: this.db,
        };
      }
      case POSTGRES: {
        const pool = client as PgPool;
        const run = (text: string, values: readonly unknown[]) =>
          pool.query({ name: statementName(text), text, values: [...values] });
        return {
          query: async (text, params) => (await run(text, params)).rows.map(plainRow),
          execute: async (text, params) => (await run(text, params)).rowCount ?? 0,
          handle: this.db,
        };
      }
      default: {
        const withPromise = client as { promise?: () => MySqlPool };
        const pool =
          typeof withPromise.promise === 'function' ? withPromise.promise() : (client as MySqlPool);
        return {
          query: async (text, params) => rowsOf((await pool.execute(text, [...params]))[0]),
          execute: async (text, params) => affectedOf((await pool.execute(text, [...params]))[0]),
          handle: this.db,
        };
      }
    }
  }

  /** Statements through Drizzle, on a transaction (or the app's), as `sql` objects. */
  private through(handle: unknown): SqlQueries {
    const h = handle as DrizzleHandle;
    switch (this.dialect) {
      case SQLITE:
        return {
          query: async (text, params) =>
            ((await h.all?.(statement(text, params))) as SqlRow[]).map(plainRow),
          execute: async (text, params) =>
            ((await h.run?.(statement(text, params))) as { changes?: number }).changes ?? 0,
          handle,
        };
      case POSTGRES:
        return {
          query: async (text, params) =>
            ((await h.execute?.(statement(text, params))) as { rows: SqlRow[] }).rows.map(plainRow),
          execute: async (text, params) =>
            ((await h.execute?.(statement(text, params))) as { rowCount: number | null })
              .rowCount ?? 0,
          handle,
        };
      default:
        return {
          query: async (text, params) =>
            rowsOf(((await h.execute?.(statement(text, params))) as [unknown])[0]),
          execute: async (text, params) =>
            affectedOf(((await h.execute?.(statement(text, params))) as [unknown])[0]),
          handle,
        };
    }
  }
}

/** A PostgreSQL prepared statement's name: its text's hash (one name never serves two texts). */
function statementName(text: string): string {
  return `tg_${createHash('sha256').update(text).digest('hex').slice(0, 20)}`;
}

function rowsOf(result: unknown): SqlRow[] {
  return Array.isArray(result) ? (result as SqlRow[]).map(plainRow) : [];
}

function affectedOf(result: unknown): number {
  return (result as { affectedRows?: number } | undefined)?.affectedRows ?? 0;
}

/** `text` with `$n` or `?` placeholders as a Drizzle `sql` object: the values as parameters. */
function statement(text: string, params: readonly unknown[]): SQL {
  const chunks: SQL[] = [];
  let last = 0;
  let next = 0;
  // Numbered placeholders (`$n`, PostgreSQL) or `?` ones, not both: a `?` in numbered text is SQL.
  const placeholders = /\$\d/.test(text) ? /\$(\d+)/g : /\?/g;
  for (const m of text.matchAll(placeholders)) {
    chunks.push(sql.raw(text.slice(last, m.index)));
    const numbered = m[1] as string | undefined; // `$n`; undefined for `?`
    const value = numbered === undefined ? params[next++] : params[Number(numbered) - 1];
    // One parameter, an array included (interpolated, Drizzle would spread an array as a list).
    chunks.push(sql`${sql.param(value)}`);
    last = m.index + m[0].length;
  }
  chunks.push(sql.raw(text.slice(last)));
  return sql.join(chunks);
}
