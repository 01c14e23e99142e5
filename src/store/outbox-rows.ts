import type { NewOutboxMessage, OutboxMessage, OutboxStatus } from './outbox-store.interface.js';
import type { TransitionRecord } from './transition-store.interface.js';

/** The columns of `transition_outbox` an INSERT writes, in order (by property name). */
export const OUTBOX_INSERTED = [
  'transitionId',
  'handler',
  'resourceKey',
  'record',
  'payload',
  'status',
  'attempts',
  'availableAtMs',
  'lockedUntilMs',
  'createdAtMs',
] as const;

/**
 * The key a handler's messages are ordered by: `resource:id` (a resource's name has no colon).
 * A relay claims a message only when no earlier message of the same handler and key is pending.
 */
export function resourceKey(record: Pick<TransitionRecord, 'resource' | 'resourceId'>): string {
  return `${record.resource}:${record.resourceId}`;
}

/**
 * The INSERT's parameters for `messages`, in `OUTBOX_INSERTED` order, message after message. The
 * messages of one transition (one per handler) share its record and payload: each is serialized
 * once. The payload is stored as JSON as it came, not canonicalized: nothing compares it.
 */
export function outboxInsertValues(messages: readonly NewOutboxMessage[], now: number): unknown[] {
  const params: unknown[] = [];
  let record: unknown;
  let recordJson = '';
  let payload: unknown;
  let payloadJson = '';
  for (const m of messages) {
    if (m.record !== record) [record, recordJson] = [m.record, JSON.stringify(m.record)];
    if (m.payload !== payload) [payload, payloadJson] = [m.payload, JSON.stringify(m.payload)];
    params.push(
      m.record.transitionId,
      m.handler,
      resourceKey(m.record),
      recordJson,
      payloadJson,
      'pending',
      0,
      now,
      0,
      now,
    );
  }
  return params;
}

/** An outbox row as a message; `value(property)` reads a column of the raw row. */
export function outboxMessageOf(value: (property: string) => unknown): OutboxMessage {
  const parsed = JSON.parse(String(value('record'))) as TransitionRecord & { at: string };
  return {
    id: String(value('id')),
    handler: String(value('handler')),
    record: { ...parsed, at: new Date(parsed.at) },
    payload: JSON.parse(String(value('payload'))) as Record<string, unknown>,
    status: String(value('status')) as OutboxStatus,
    attempts: Number(value('attempts')),
    availableAt: new Date(Number(value('availableAtMs'))),
    lastError: (value('lastError') as string | null) ?? null,
    createdAt: new Date(Number(value('createdAtMs'))),
  };
}
