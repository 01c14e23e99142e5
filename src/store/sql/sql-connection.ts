import type { JoinedTransaction } from '../ambient-transaction.js';

/** A database row as a raw query returns it. */
export type SqlRow = Record<string, unknown>;

/** Raw SQL on a connection, or in a transaction: what the SQL stores run. */
export interface SqlQueries {
  /** Rows of a SELECT, or of a write with `RETURNING`. */
  query(sql: string, params: readonly unknown[]): Promise<SqlRow[]>;
  /** A write; how many rows it changed. */
  execute(sql: string, params: readonly unknown[]): Promise<number>;
  /** The ORM's own handle for this connection or transaction: what `beforeCommit` hooks get. */
  readonly handle: unknown;
}

/**
 * What an ORM gives the SQL stores (`PrismaTransitionStore`, `MikroOrmTransitionStore`): raw
 * queries with placeholders, transactions, and the dialect.
 */
export interface SqlConnection {
  readonly postgres: boolean;
  /**
   * What stores that can share transactions have in common (the Prisma client, the MikroORM
   * EntityManager): an outbox store writes in a transition store's transactions when equal.
   */
  readonly scope: unknown;
  /** The n-th parameter's placeholder (1-based): `$1` or `?`. */
  placeholder(n: number): string;
  /** Runs `work` alone, or in a transaction of the ORM. */
  run<T>(mode: 'plain' | 'transaction', work: (q: SqlQueries) => Promise<T>): Promise<T>;
  /**
   * The queries of a transaction handle that a store of the same ORM passed on (to write an
   * Idempotency-Key's commit in the transition's transaction); undefined for another ORM's.
   */
  queriesOf(handle: unknown): SqlQueries | undefined;
  /**
   * The app's open transaction that `run` joins now (a `transactionHost`'s, or the ORM's own
   * context), as a transaction whose commit can be waited for; undefined when `run` opens its own.
   */
  joined?(store: string): JoinedTransaction | undefined;
}

/** An SQL identifier, quoted (double quotes: PostgreSQL and SQLite). */
export const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Integers come back from some drivers as bigint: numbers where they fit. */
export function plainRow(row: SqlRow): SqlRow {
  const out: SqlRow = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = typeof v === 'bigint' && Number.isSafeInteger(Number(v)) ? Number(v) : v;
  }
  return out;
}
