import type { JoinedTransaction } from '../ambient-transaction.js';
import type { SqlDialect } from './dialect.js';

/** A database row as a raw query returns it. */
export type SqlRow = Record<string, unknown>;

/** Raw SQL on a connection, or in a transaction: what the SQL core runs. */
export interface SqlQueries {
  /** Rows of a SELECT, or of a write with `RETURNING`. */
  query(sql: string, params: readonly unknown[]): Promise<SqlRow[]>;
  /**
   * A write; the rows it matched (MySQL drivers report matched rows only with the found-rows
   * flag, their default: the stores never rely on it where a matched row may stay unchanged).
   */
  execute(sql: string, params: readonly unknown[]): Promise<number>;
  /** The ORM's own handle for this connection or transaction: what `beforeCommit` hooks get. */
  readonly handle: unknown;
}

/**
 * How work runs: `plain` on the connection (one statement is atomic on its own); in a
 * `transaction`; or `locked`, a transaction that takes SQLite's write lock first (`BEGIN
 * IMMEDIATE`: two processes never deadlock upgrading a read lock), a plain transaction where
 * rows are locked one by one (`SELECT ... FOR UPDATE`).
 */
export type RunMode = 'plain' | 'transaction' | 'locked';

/** A library table's name and the column of each of its properties, as the database has them. */
export interface TableNames {
  readonly table: string;
  column(property: string): string;
}

/** The tables the stores share (the transition log, Idempotency-Keys, the outbox, timers). */
export type LibraryTable =
  | 'transition_log'
  | 'idempotency_keys'
  | 'transition_outbox'
  | 'transition_handled'
  | 'transition_timers';

/**
 * What an ORM gives the SQL core: raw statements with placeholders, transactions (its own, or
 * the app's open one), and the dialect. Everything else (every statement, every store) lives
 * once in `src/store/sql`. Implemented by each ORM's adapter: TypeORM, Prisma, Drizzle, MikroORM.
 */
export interface SqlConnection {
  readonly dialect: SqlDialect;
  /**
   * What stores that can share transactions have in common (the DataSource, the Prisma client,
   * the MikroORM EntityManager, the Drizzle database): an outbox or idempotency store writes in a
   * transition store's transactions when equal.
   */
  readonly scope: unknown;
  /** Runs `work` alone, in a transaction, or in a locked transaction (see `RunMode`). */
  run<T>(mode: RunMode, work: (q: SqlQueries) => Promise<T>): Promise<T>;
  /**
   * The queries of a transaction handle that a store of the same ORM passed on (to write an
   * Idempotency-Key's commit or outbox messages in the transition's transaction); undefined
   * for another ORM's.
   */
  queriesOf(handle: unknown): SqlQueries | undefined;
  /**
   * The app's open transaction that `run` joins now (a `transactionHost`'s, or the ORM's own
   * context), as a transaction whose commit can be waited for; undefined when `run` opens its own.
   */
  joined?(store: string): JoinedTransaction | undefined;
  /**
   * SQLite: `run('locked', ...)` opens its transaction with `BEGIN IMMEDIATE`, so it holds the
   * write lock from the start. Without it, the SQL core takes the lock with a first write.
   */
  readonly beginsImmediate?: boolean;
  /** Whether `run` joins the app's open transaction now (a failure there rolls back more). */
  inAppTransaction?(): boolean;
  /**
   * The names of a library table and its columns, when the ORM renames them (TypeORM's naming
   * strategies): default, the table's own name and its properties as columns.
   */
  libraryTable?(table: LibraryTable): TableNames | undefined;
}

/** Integers come back from some drivers as bigint: numbers where they fit. */
export function plainRow(row: SqlRow): SqlRow {
  const out: SqlRow = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = typeof v === 'bigint' && Number.isSafeInteger(Number(v)) ? Number(v) : v;
  }
  return out;
}
