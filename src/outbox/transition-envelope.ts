import type { StoredState } from '../core/index.js';
import type { TransitionRecord } from '../store/transition-record.js';

/**
 * A committed transition as a broker message: CloudEvents 1.0 attributes where they fit (`id`,
 * `source`, `type`, `subject`, `time`, `data`), the transition's own fields beside them. `id` is
 * the transition's id: the same on every redelivery, the key an inbox deduplicates by.
 */
export interface TransitionEnvelope<P = Readonly<Record<string, unknown>>> {
  readonly specversion: '1.0';
  /** The transition's id (a UUID). */
  readonly id: string;
  /** `transition-guard/<resource>`. */
  readonly source: string;
  /** `<resource>.<event>`, e.g. `order.SHIP`. */
  readonly type: string;
  /** The resource's id. */
  readonly subject: string;
  /** When the transition committed (ISO 8601). */
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly resource: string;
  readonly resourceid: string;
  /** The version after the transition: a consumer sees each resource's versions ascending. */
  readonly version: number | null;
  readonly event: string;
  readonly from: StoredState;
  readonly to: StoredState;
  /** The event's payload, as the guard validated it. */
  readonly data: P;
}

/**
 * The envelope of a committed transition, as `outbox.publish` emits it: build it yourself to
 * publish from an `@OnTransition()` handler of your own.
 *
 * @example
 * @OnTransition(order, { event: 'SHIP' })
 * ship(delivery: TransitionDelivery) {
 *   return lastValueFrom(this.warehouse.emit('order.shipped', transitionEnvelope(delivery)));
 * }
 */
export function transitionEnvelope(delivery: {
  readonly record: TransitionRecord;
  readonly payload: Readonly<Record<string, unknown>>;
}): TransitionEnvelope {
  const { record } = delivery;
  return {
    specversion: '1.0',
    id: record.transitionId,
    source: `transition-guard/${record.resource}`,
    type: `${record.resource}.${record.event}`,
    subject: record.resourceId,
    time: record.at.toISOString(),
    datacontenttype: 'application/json',
    resource: record.resource,
    resourceid: record.resourceId,
    version: record.version ?? null,
    event: record.event,
    from: record.from,
    to: record.to,
    data: delivery.payload,
  };
}

/** What a message lacks to be a `TransitionEnvelope` (empty when it is one). */
export function envelopeProblems(message: unknown): string[] {
  if (typeof message !== 'object' || message === null) return ['it is not an object'];
  const m = message as Record<string, unknown>;
  const problems: string[] = [];
  if (m.specversion !== '1.0') problems.push("specversion is not '1.0'");
  for (const key of ['id', 'source', 'type', 'subject', 'resource', 'resourceid', 'event']) {
    if (typeof m[key] !== 'string' || m[key] === '') problems.push(`${key} is not a string`);
  }
  if (m.version !== null && !Number.isInteger(m.version)) {
    problems.push('version is neither an integer nor null');
  }
  return problems;
}
