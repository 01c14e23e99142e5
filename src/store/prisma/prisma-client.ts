import {
  ambientTransaction,
  joinedTransaction,
  type JoinedTransaction,
  type TransactionHostLike,
} from '../ambient-transaction.js';
import { serially } from '../serial-queue.js';
import { DIALECTS, type SqlDialect } from '../sql/dialect.js';
import type { RunMode, SqlConnection, SqlQueries, SqlRow } from '../sql/sql-connection.js';

/** What the Prisma stores run queries on: a Prisma client, or the handle of its transaction. */
export interface PrismaQueries {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/**
 * The part of a Prisma client (Prisma 6 or 7, any generated client, with or without driver
 * adapters) the stores use: raw queries and interactive transactions. The generated client's
 * model types stay yours: the stores never need them at run time.
 */
export interface PrismaClientLike extends PrismaQueries {
  $transaction<R>(fn: (tx: PrismaQueries) => Promise<R>): PromiseLike<R>;
}

const PROVIDERS = ['sqlite', 'postgresql', 'mysql'] as const;

/** The database a Prisma client talks to, as its schema's `datasource.provider` names it. */
export type PrismaProvider = (typeof PROVIDERS)[number];

/**
 * How the SQL core runs on a Prisma client (SQLite, PostgreSQL, MySQL): alone, or in
 * `$transaction(fn)`, or inside the app's own transaction (`transactionHost`, while one is
 * active). On SQLite, one call at a time per client (one connection: a statement run while
 * another call's transaction is open would join it). A locked transaction is a plain one: the
 * SQL core takes the locks (`FOR UPDATE`, or SQLite's write lock by a first write).
 */
export class PrismaConnection implements SqlConnection {
  constructor(
    readonly client: PrismaClientLike,
    readonly provider: PrismaProvider,
    private readonly transactionHost?: TransactionHostLike<PrismaQueries>,
  ) {
    if (!(PROVIDERS as readonly string[]).includes(provider)) {
      throw new Error(
        `nestjs-transition-guard/prisma: provider must be 'sqlite', 'postgresql' or 'mysql' (your schema's datasource provider), not '${provider}'.`,
      );
    }
  }

  get dialect(): SqlDialect {
    return DIALECTS[this.provider === 'postgresql' ? 'postgres' : this.provider];
  }

  get scope(): unknown {
    return this.client;
  }

  inAppTransaction(): boolean {
    return ambientTransaction(this.transactionHost) !== undefined;
  }

  joined(store: string): JoinedTransaction | undefined {
    const tx = ambientTransaction(this.transactionHost);
    return tx && joinedTransaction(tx, store);
  }

  run<T>(mode: RunMode, work: (q: SqlQueries) => Promise<T>): Promise<T> {
    const joined = ambientTransaction(this.transactionHost);
    if (joined) return work(queriesOf(joined));
    const go = async () =>
      mode === 'plain'
        ? work(queriesOf(this.client))
        : await this.client.$transaction((tx) => work(queriesOf(tx)));
    return this.provider === 'sqlite' ? serially(this.client, go) : go();
  }

  queriesOf(handle: unknown): SqlQueries | undefined {
    return typeof (handle as Partial<PrismaQueries> | undefined)?.$executeRawUnsafe === 'function'
      ? queriesOf(handle as PrismaQueries)
      : undefined;
  }
}

function queriesOf(client: PrismaQueries): SqlQueries {
  return {
    query: async (sql, params) => client.$queryRawUnsafe<SqlRow[]>(sql, ...params),
    execute: async (sql, params) => client.$executeRawUnsafe(sql, ...params),
    handle: client,
  };
}
