import { bigint, index, int, mysqlTable, primaryKey, text, varchar } from 'drizzle-orm/mysql-core';

/**
 * The library's tables as Drizzle declares them for MySQL and MariaDB (the same tables and
 * columns as the SQLite and PostgreSQL ones, and as TypeORM's entities): export them from your
 * schema so that drizzle-kit creates them.
 *
 * @example
 * // schema.ts
 * export {
 *   mysqlTransitionLog, mysqlIdempotencyKeys, mysqlTransitionOutbox, mysqlTransitionHandled,
 * } from 'nestjs-transition-guard/drizzle';
 */
export const mysqlTransitionLog = mysqlTable(
  'transition_log',
  {
    id: int('id').primaryKey().autoincrement(),
    transitionId: varchar('transitionId', { length: 36 }),
    resource: varchar('resource', { length: 100 }).notNull(),
    resourceId: varchar('resourceId', { length: 128 }).notNull(),
    event: varchar('event', { length: 256 }).notNull(),
    from: varchar('from_state', { length: 1024 }).notNull(),
    to: varchar('to_state', { length: 1024 }).notNull(),
    version: int('version'),
    actor: varchar('actor', { length: 256 }),
    at: varchar('at', { length: 40 }).notNull(),
    reason: varchar('reason', { length: 200 }),
    comment: varchar('comment', { length: 2000 }),
    metadata: text('metadata'),
    machineVersion: varchar('machineVersion', { length: 16 }),
    correlationId: varchar('correlationId', { length: 128 }),
  },
  (t) => [index('transition_log_resource').on(t.resource, t.resourceId, t.id)],
);

/** Idempotency-Keys, for MySQL (see `mysqlTransitionLog`). */
export const mysqlIdempotencyKeys = mysqlTable(
  'idempotency_keys',
  {
    caller: varchar('caller', { length: 256 }).notNull(),
    key: varchar('key', { length: 255 }).notNull(),
    fingerprint: varchar('fingerprint', { length: 64 }).notNull(),
    token: varchar('token', { length: 64 }).notNull(),
    status: varchar('status', { length: 16 })
      .$type<'in-progress' | 'committed' | 'completed'>()
      .notNull(),
    response: text('response'),
    committed: text('committed'),
    leaseUntilMs: bigint('leaseUntilMs', { mode: 'number' }).notNull(),
    expiresAtMs: bigint('expiresAtMs', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.caller, t.key] }),
    index('idempotency_keys_expires').on(t.expiresAtMs),
  ],
);

/** The outbox's messages, for MySQL (see `mysqlTransitionLog`). */
export const mysqlTransitionOutbox = mysqlTable(
  'transition_outbox',
  {
    id: int('id').primaryKey().autoincrement(),
    transitionId: varchar('transitionId', { length: 36 }).notNull(),
    handler: varchar('handler', { length: 200 }).notNull(),
    resourceKey: varchar('resourceKey', { length: 300 }).notNull().default(''),
    record: text('record').notNull(),
    payload: text('payload').notNull(),
    status: varchar('status', { length: 10 }).notNull(),
    attempts: int('attempts').notNull(),
    availableAtMs: bigint('availableAtMs', { mode: 'number' }).notNull(),
    lockedUntilMs: bigint('lockedUntilMs', { mode: 'number' }).notNull(),
    claim: varchar('claim', { length: 36 }),
    lastError: varchar('lastError', { length: 2000 }),
    createdAtMs: bigint('createdAtMs', { mode: 'number' }).notNull(),
  },
  (t) => [
    index('transition_outbox_due').on(t.status, t.availableAtMs),
    // MySQL has no partial index: whole, with `status` in the columns. The claim reads the primary
    // key there (see OutboxStatements); `transition_outbox_pending` serves `list()`.
    index('transition_outbox_pending').on(t.status, t.id),
    index('transition_outbox_order').on(t.resourceKey, t.handler, t.status, t.id),
  ],
);

/** Handled transitions (`delivery.once()`), for MySQL. */
export const mysqlTransitionHandled = mysqlTable(
  'transition_handled',
  {
    transitionId: varchar('transitionId', { length: 36 }).notNull(),
    handler: varchar('handler', { length: 200 }).notNull(),
    handledAtMs: bigint('handledAtMs', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.transitionId, t.handler] })],
);
