import type { mysqlTransitionLog } from './mysql.tables.js';
import {
  index as pgIndex,
  integer as pgInteger,
  pgTable,
  serial,
  text as pgText,
  varchar,
} from 'drizzle-orm/pg-core';
import { index as sqliteIndex, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The transition log as a Drizzle table, for SQLite: one row per committed transition, written
 * in the same transaction as the state change by `DrizzleTransitionStore` with
 * `log: sqliteTransitionLog`. Export it from your schema so that drizzle-kit creates it. Same
 * table and columns as the TypeORM store's `TransitionLogEntry`: the two are interchangeable.
 *
 * @example
 * // schema.ts
 * export { sqliteTransitionLog } from 'nestjs-transition-guard/drizzle';
 */
export const sqliteTransitionLog = sqliteTable(
  'transition_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    transitionId: text('transitionId', { length: 36 }),
    resource: text('resource', { length: 100 }).notNull(),
    resourceId: text('resourceId', { length: 128 }).notNull(),
    event: text('event', { length: 256 }).notNull(),
    from: text('from_state', { length: 1024 }).notNull(),
    to: text('to_state', { length: 1024 }).notNull(),
    version: integer('version'),
    actor: text('actor', { length: 256 }),
    at: text('at', { length: 40 }).notNull(),
    reason: text('reason', { length: 200 }),
    comment: text('comment', { length: 2000 }),
    metadata: text('metadata'),
    machineVersion: text('machineVersion', { length: 16 }),
    correlationId: text('correlationId', { length: 128 }),
  },
  (t) => [sqliteIndex('transition_log_resource').on(t.resource, t.resourceId, t.id)],
);

/**
 * The transition log as a Drizzle table, for PostgreSQL (see `sqliteTransitionLog`).
 *
 * @example
 * // schema.ts
 * export { pgTransitionLog } from 'nestjs-transition-guard/drizzle';
 */
export const pgTransitionLog = pgTable(
  'transition_log',
  {
    id: serial('id').primaryKey(),
    transitionId: varchar('transitionId', { length: 36 }),
    resource: varchar('resource', { length: 100 }).notNull(),
    resourceId: varchar('resourceId', { length: 128 }).notNull(),
    event: varchar('event', { length: 256 }).notNull(),
    from: varchar('from_state', { length: 1024 }).notNull(),
    to: varchar('to_state', { length: 1024 }).notNull(),
    version: pgInteger('version'),
    actor: varchar('actor', { length: 256 }),
    at: varchar('at', { length: 40 }).notNull(),
    reason: varchar('reason', { length: 200 }),
    comment: varchar('comment', { length: 2000 }),
    metadata: pgText('metadata'),
    machineVersion: varchar('machineVersion', { length: 16 }),
    correlationId: varchar('correlationId', { length: 128 }),
  },
  (t) => [pgIndex('transition_log_resource').on(t.resource, t.resourceId, t.id)],
);

/** A log table of any dialect. */
export type TransitionLogTable =
  typeof sqliteTransitionLog | typeof pgTransitionLog | typeof mysqlTransitionLog;
