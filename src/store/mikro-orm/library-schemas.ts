import { EntitySchema } from '@mikro-orm/core';
import type { TransitionLogRow } from '../log-rows.js';

/**
 * The transition log as a MikroORM entity (table `transition_log`, the same columns as the other
 * stores'): add it to your entities so that the schema generator or your migrations create it.
 * The stores write it with SQL, never through the unit of work.
 *
 * @example
 * MikroOrmModule.forRoot({ entities: [Order, TransitionLogSchema, IdempotencyKeySchema], ... });
 */
export const TransitionLogSchema = new EntitySchema<TransitionLogRow & { id: number }>({
  name: 'TransitionLog',
  tableName: 'transition_log',
  indexes: [{ properties: ['resource', 'resourceId', 'id'] }],
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    transitionId: { type: 'string', length: 36, nullable: true, fieldName: 'transitionId' },
    resource: { type: 'string', length: 100 },
    resourceId: { type: 'string', length: 128, fieldName: 'resourceId' },
    event: { type: 'string', length: 256 },
    from: { type: 'string', length: 1024, fieldName: 'from_state' },
    to: { type: 'string', length: 1024, fieldName: 'to_state' },
    version: { type: 'integer', nullable: true },
    actor: { type: 'string', length: 256, nullable: true },
    at: { type: 'string', length: 40 },
    reason: { type: 'string', length: 200, nullable: true },
    comment: { type: 'string', length: 2000, nullable: true },
    metadata: { type: 'text', nullable: true },
    machineVersion: { type: 'string', length: 16, nullable: true, fieldName: 'machineVersion' },
    correlationId: { type: 'string', length: 128, nullable: true, fieldName: 'correlationId' },
  },
});

/** An Idempotency-Key record as `IdempotencyKeySchema` maps it. */
export interface IdempotencyKeyRow {
  caller: string;
  key: string;
  fingerprint: string;
  token: string;
  status: string;
  response: string | null;
  committed: string | null;
  leaseUntilMs: string;
  expiresAtMs: string;
}

/** Idempotency-Key records as a MikroORM entity (table `idempotency_keys`). */
export const IdempotencyKeySchema = new EntitySchema<IdempotencyKeyRow>({
  name: 'IdempotencyKey',
  tableName: 'idempotency_keys',
  properties: {
    caller: { type: 'string', length: 256, primary: true },
    key: { type: 'string', length: 255, primary: true },
    fingerprint: { type: 'string', length: 64 },
    token: { type: 'string', length: 64 },
    status: { type: 'string', length: 16 },
    response: { type: 'text', nullable: true },
    committed: { type: 'text', nullable: true },
    leaseUntilMs: { type: 'bigint', fieldName: 'leaseUntilMs' },
    expiresAtMs: { type: 'bigint', fieldName: 'expiresAtMs' },
  },
  // Expired keys are purged by their expiry.
  indexes: [{ name: 'idempotency_keys_expires', properties: ['expiresAtMs'] }],
});

/** An outbox message as `TransitionOutboxSchema` maps it. */
export interface TransitionOutboxRow {
  id: number;
  transitionId: string;
  handler: string;
  resourceKey: string;
  record: string;
  payload: string;
  status: string;
  attempts: number;
  availableAtMs: string;
  lockedUntilMs: string;
  claim: string | null;
  lastError: string | null;
  createdAtMs: string;
}

/** Outbox messages as a MikroORM entity (table `transition_outbox`), for `MikroOrmOutboxStore`. */
export const TransitionOutboxSchema = new EntitySchema<TransitionOutboxRow>({
  name: 'TransitionOutbox',
  tableName: 'transition_outbox',
  indexes: [
    { properties: ['status', 'availableAtMs'] },
    // One schema for every database, so not partial: on PostgreSQL and SQLite, the migration
    // should create the partial indexes of docs/outbox.md ("The claim's indexes") instead.
    { name: 'transition_outbox_pending', properties: ['status', 'id'] },
    { name: 'transition_outbox_order', properties: ['resourceKey', 'handler', 'status', 'id'] },
  ],
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    transitionId: { type: 'string', length: 36, fieldName: 'transitionId' },
    handler: { type: 'string', length: 200 },
    resourceKey: { type: 'string', length: 300, fieldName: 'resourceKey', default: '' },
    record: { type: 'text' },
    payload: { type: 'text' },
    status: { type: 'string', length: 10 },
    attempts: { type: 'integer' },
    availableAtMs: { type: 'bigint', fieldName: 'availableAtMs' },
    lockedUntilMs: { type: 'bigint', fieldName: 'lockedUntilMs' },
    claim: { type: 'string', length: 36, nullable: true },
    lastError: { type: 'string', length: 2000, nullable: true, fieldName: 'lastError' },
    createdAtMs: { type: 'bigint', fieldName: 'createdAtMs' },
  },
});

/** Handled transitions (`delivery.once()`) as a MikroORM entity (table `transition_handled`). */
export const HandledTransitionSchema = new EntitySchema<{
  transitionId: string;
  handler: string;
  handledAtMs: string;
}>({
  name: 'HandledTransition',
  tableName: 'transition_handled',
  properties: {
    transitionId: { type: 'string', length: 36, primary: true, fieldName: 'transitionId' },
    handler: { type: 'string', length: 200, primary: true },
    handledAtMs: { type: 'bigint', fieldName: 'handledAtMs' },
  },
});
