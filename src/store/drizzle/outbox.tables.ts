import {
  bigint,
  index as pgIndex,
  integer as pgInteger,
  pgTable,
  primaryKey as pgPrimaryKey,
  serial,
  text as pgText,
  varchar,
} from 'drizzle-orm/pg-core';
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { sql } from 'drizzle-orm';

/**
 * The transactional outbox's tables as Drizzle tables, for SQLite: what `DrizzleOutboxStore`
 * keeps (the same tables and columns as the other stores'). Export them from your schema so that
 * drizzle-kit creates them.
 *
 * @example
 * // schema.ts
 * export { sqliteTransitionOutbox, sqliteTransitionHandled } from 'nestjs-transition-guard/drizzle';
 */
export const sqliteTransitionOutbox = sqliteTable(
  'transition_outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    transitionId: text('transitionId', { length: 36 }).notNull(),
    handler: text('handler', { length: 200 }).notNull(),
    resourceKey: text('resourceKey', { length: 300 }).notNull().default(''),
    record: text('record').notNull(),
    payload: text('payload').notNull(),
    status: text('status', { length: 10 }).notNull(),
    attempts: integer('attempts').notNull(),
    availableAtMs: integer('availableAtMs').notNull(),
    lockedUntilMs: integer('lockedUntilMs').notNull(),
    claim: text('claim', { length: 36 }),
    lastError: text('lastError', { length: 2000 }),
    createdAtMs: integer('createdAtMs').notNull(),
  },
  (t) => [
    index('transition_outbox_due').on(t.status, t.availableAtMs),
    // Partial: a claim reads only the messages still waiting (see OutboxStatements).
    index('transition_outbox_pending')
      .on(t.status, t.id)
      .where(sql`${t.status} = 'pending'`),
    index('transition_outbox_order')
      .on(t.resourceKey, t.handler, t.status, t.id)
      .where(sql`${t.status} = 'pending'`),
  ],
);

/** Handled transitions (`delivery.once()`), for SQLite (see `sqliteTransitionOutbox`). */
export const sqliteTransitionHandled = sqliteTable(
  'transition_handled',
  {
    transitionId: text('transitionId', { length: 36 }).notNull(),
    handler: text('handler', { length: 200 }).notNull(),
    handledAtMs: integer('handledAtMs').notNull(),
  },
  (t) => [primaryKey({ columns: [t.transitionId, t.handler] })],
);

/**
 * The transactional outbox's tables for PostgreSQL (see `sqliteTransitionOutbox`).
 *
 * @example
 * // schema.ts
 * export { pgTransitionOutbox, pgTransitionHandled } from 'nestjs-transition-guard/drizzle';
 */
export const pgTransitionOutbox = pgTable(
  'transition_outbox',
  {
    id: serial('id').primaryKey(),
    transitionId: varchar('transitionId', { length: 36 }).notNull(),
    handler: varchar('handler', { length: 200 }).notNull(),
    resourceKey: varchar('resourceKey', { length: 300 }).notNull().default(''),
    record: pgText('record').notNull(),
    payload: pgText('payload').notNull(),
    status: varchar('status', { length: 10 }).notNull(),
    attempts: pgInteger('attempts').notNull(),
    availableAtMs: bigint('availableAtMs', { mode: 'number' }).notNull(),
    lockedUntilMs: bigint('lockedUntilMs', { mode: 'number' }).notNull(),
    claim: varchar('claim', { length: 36 }),
    lastError: varchar('lastError', { length: 2000 }),
    createdAtMs: bigint('createdAtMs', { mode: 'number' }).notNull(),
  },
  (t) => [
    pgIndex('transition_outbox_due').on(t.status, t.availableAtMs),
    pgIndex('transition_outbox_pending')
      .on(t.status, t.id)
      .where(sql`${t.status} = 'pending'`),
    pgIndex('transition_outbox_order')
      .on(t.resourceKey, t.handler, t.status, t.id)
      .where(sql`${t.status} = 'pending'`),
  ],
);

/** Handled transitions (`delivery.once()`), for PostgreSQL. */
export const pgTransitionHandled = pgTable(
  'transition_handled',
  {
    transitionId: varchar('transitionId', { length: 36 }).notNull(),
    handler: varchar('handler', { length: 200 }).notNull(),
    handledAtMs: bigint('handledAtMs', { mode: 'number' }).notNull(),
  },
  (t) => [pgPrimaryKey({ columns: [t.transitionId, t.handler] })],
);
