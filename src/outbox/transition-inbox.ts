import type { OutboxStore } from '../store/outbox-store.interface.js';
import { envelopeProblems, type TransitionEnvelope } from './transition-envelope.js';

/**
 * The consumer's side of the outbox: a message from a broker is handled once per consumer,
 * whatever the redeliveries. `receive` runs `work` in a transaction that first records the
 * envelope's id for this consumer (in `transition_handled`, through any `OutboxStore` on the
 * consumer's own database): `work`'s writes through `tx` commit with the record, so a redelivered
 * message finds it and is skipped (`{ done: false }`), and a message whose work failed (nothing
 * committed) is processed again when it comes back.
 *
 * @example
 * const inbox = new TransitionInbox(outboxStore, 'warehouse');
 * @EventPattern('order.SHIP')
 * async ship(@Payload() message: TransitionEnvelope) {
 *   await inbox.receive(message, (tx) => (tx as EntityManager).insert(Parcel, { orderId: message.subject }));
 * }
 */
export class TransitionInbox {
  constructor(
    private readonly store: Pick<OutboxStore, 'once'>,
    /** This consumer's name: each consumer of one message records it on its own. */
    private readonly consumer: string,
  ) {
    if (!consumer) throw new Error('TransitionInbox: give the consumer a name (e.g. "warehouse")');
  }

  /** Runs `work` once for this message and consumer; `{ done: false }` when it already ran. */
  receive<T>(
    message: unknown,
    work: (tx: unknown, envelope: TransitionEnvelope) => Promise<T>,
  ): Promise<{ done: true; value: T } | { done: false }> {
    const problems = envelopeProblems(message);
    if (problems.length) {
      return Promise.reject(
        new TypeError(
          `TransitionInbox(${this.consumer}): the message is not a transition envelope (${problems.join('; ')}). ` +
            'Publish it with outbox.publish or transitionEnvelope().',
        ),
      );
    }
    const envelope = message as TransitionEnvelope;
    return this.store.once(envelope.id, `inbox:${this.consumer}`, (tx) => work(tx, envelope));
  }
}
