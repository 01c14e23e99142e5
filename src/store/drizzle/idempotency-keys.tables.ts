import type { mysqlIdempotencyKeys } from './mysql.tables.js';
import {
  bigint,
  index as pgIndex,
  pgTable,
  primaryKey as pgPrimaryKey,
  text as pgText,
  varchar,
} from 'drizzle-orm/pg-core';
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Idempotency-Key records as a Drizzle table, for SQLite: what `DrizzleIdempotencyStore` keeps.
 * Export it from your schema so that drizzle-kit creates it. Same table and columns as the
 * TypeORM store's `IdempotencyKeyEntry`.
 *
 * @example
 * // schema.ts
 * export { sqliteIdempotencyKeys } from 'nestjs-transition-guard/drizzle';
 */
export const sqliteIdempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    caller: text('caller', { length: 256 }).notNull(),
    key: text('key', { length: 255 }).notNull(),
    fingerprint: text('fingerprint', { length: 64 }).notNull(),
    token: text('token', { length: 64 }).notNull(),
    status: text('status', { length: 16 })
      .$type<'in-progress' | 'committed' | 'completed'>()
      .notNull(),
    response: text('response'),
    committed: text('committed'),
    leaseUntilMs: integer('leaseUntilMs').notNull(),
    expiresAtMs: integer('expiresAtMs').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.caller, t.key] }),
    index('idempotency_keys_expires').on(t.expiresAtMs),
  ],
);

/**
 * Idempotency-Key records as a Drizzle table, for PostgreSQL (see `sqliteIdempotencyKeys`).
 *
 * @example
 * // schema.ts
 * export { pgIdempotencyKeys } from 'nestjs-transition-guard/drizzle';
 */
export const pgIdempotencyKeys = pgTable(
  'idempotency_keys',
  {
    caller: varchar('caller', { length: 256 }).notNull(),
    key: varchar('key', { length: 255 }).notNull(),
    fingerprint: varchar('fingerprint', { length: 64 }).notNull(),
    token: varchar('token', { length: 64 }).notNull(),
    status: varchar('status', { length: 16 })
      .$type<'in-progress' | 'committed' | 'completed'>()
      .notNull(),
    response: pgText('response'),
    committed: pgText('committed'),
    leaseUntilMs: bigint('leaseUntilMs', { mode: 'number' }).notNull(),
    expiresAtMs: bigint('expiresAtMs', { mode: 'number' }).notNull(),
  },
  (t) => [
    pgPrimaryKey({ columns: [t.caller, t.key] }),
    pgIndex('idempotency_keys_expires').on(t.expiresAtMs),
  ],
);

/** An idempotency table of any dialect. */
export type IdempotencyKeysTable =
  typeof sqliteIdempotencyKeys | typeof pgIdempotencyKeys | typeof mysqlIdempotencyKeys;
