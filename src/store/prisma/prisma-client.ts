import { serially } from '../serial-queue.js';

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

const PROVIDERS = ['sqlite', 'postgresql'] as const;

/** The database a Prisma client talks to, as its schema's `datasource.provider` names it. */
export type PrismaProvider = (typeof PROVIDERS)[number];

/**
 * How store work runs on a Prisma client: alone, or in `$transaction(fn)`. On SQLite, one call
 * at a time per client (one connection: a statement run while another call's transaction is
 * open would join it), and a transaction's first statement is a write, so that it holds the
 * write lock from the start and two processes never deadlock upgrading a read lock.
 */
export class PrismaConnection {
  constructor(
    readonly client: PrismaClientLike,
    readonly provider: PrismaProvider,
  ) {
    if (!(PROVIDERS as readonly string[]).includes(provider)) {
      throw new Error(
        `nestjs-transition-guard/prisma: provider must be 'sqlite' or 'postgresql' (your schema's datasource provider), not '${provider}'.`,
      );
    }
  }

  get postgres(): boolean {
    return this.provider === 'postgresql';
  }

  /** `$1` on PostgreSQL, `?` on SQLite. */
  placeholder(n: number): string {
    return this.postgres ? `$${n}` : '?';
  }

  run<T>(mode: 'plain' | 'transaction', work: (q: PrismaQueries) => Promise<T>): Promise<T> {
    const go = async () =>
      mode === 'plain' ? work(this.client) : await this.client.$transaction((tx) => work(tx));
    return this.postgres ? go() : serially(this.client, go);
  }
}

/** An SQL identifier, quoted (double quotes: PostgreSQL and SQLite). */
export const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Integers come back from some drivers as bigint: numbers where they fit. */
export function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = typeof v === 'bigint' && Number.isSafeInteger(Number(v)) ? Number(v) : v;
  }
  return out;
}
