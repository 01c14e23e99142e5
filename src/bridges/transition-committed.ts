import type { TransitionRecord } from '../store/index.js';

/**
 * What the event-emitter and CQRS bridges publish for a committed transition, after the commit,
 * through the transactional outbox: at least once (a retry after a failed delivery publishes it
 * again), so listeners key their effects on `transitionId`.
 *
 * @example
 * @OnEvent('transition.order.SHIP', { suppressErrors: false })
 * async shipped(event: TransitionCommitted) {
 *   await mailer.send(event.record.resourceId, { dedupeKey: event.transitionId });
 * }
 */
export class TransitionCommitted {
  constructor(
    /** The transition as committed and logged (from, to, version, actor, audit fields). */
    readonly record: TransitionRecord,
    /** The event's payload, as the guard validated it. */
    readonly payload: Readonly<Record<string, unknown>>,
  ) {}

  /** The transition's own id: the key for idempotent handling. */
  get transitionId(): string {
    return this.record.transitionId;
  }

  /** The event-emitter name: `transition.<resource>.<event>` (`transition.order.PAY`). */
  get name(): string {
    return transitionEventName(this.record.resource, this.record.event);
  }
}

/**
 * `transition.<resource>.<event>`: the name the event-emitter bridge emits under.
 *
 * @example
 * @OnEvent(transitionEventName('order', 'PAY'))
 */
export const transitionEventName = (resource: string, event: string): string =>
  `transition.${resource}.${event}`;
