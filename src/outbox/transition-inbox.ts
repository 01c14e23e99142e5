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
 * `receiveIn` does the same inside a transaction the consumer already runs (its unit of work).
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
    private readonly store: Pick<OutboxStore, 'once' | 'markHandled'>,
    /** This consumer's name: each consumer of one message records it on its own. */
    private readonly consumer: string,
  ) {
    if (!consumer) throw new Error('TransitionInbox: give the consumer a name (e.g. "warehouse")');
  }

  /** Runs `work` once for this message and consumer; `{ done: false }` when it already ran. */
  async receive<T>(
    message: unknown,
    work: (tx: unknown, envelope: TransitionEnvelope) => Promise<T>,
  ): Promise<{ done: true; value: T } | { done: false }> {
    const envelope = this.envelope(message);
    return this.store.once(envelope.id, this.handler, (tx) => work(tx, envelope));
  }

  /**
   * Records the message in `tx`, a transaction the consumer runs, then runs `work` unless it
   * was recorded before: the record commits or rolls back with the rest of `tx`. Await it
   * inside the transaction.
   */
  async receiveIn<T>(
    tx: unknown,
    message: unknown,
    work: (envelope: TransitionEnvelope) => Promise<T>,
  ): Promise<{ done: true; value: T } | { done: false }> {
    const envelope = this.envelope(message);
    if (!this.store.markHandled) {
      throw new Error(
        `TransitionInbox(${this.consumer}).receiveIn(): this outbox store cannot record inside your transaction; use receive()`,
      );
    }
    if (!(await this.store.markHandled(tx, envelope.id, this.handler))) return { done: false };
    return { done: true, value: await work(envelope) };
  }

  private get handler(): string {
    return `inbox:${this.consumer}`;
  }

  private envelope(message: unknown): TransitionEnvelope {
    const problems = envelopeProblems(message);
    if (problems.length) {
      throw new TypeError(
        `TransitionInbox(${this.consumer}): the message is not a transition envelope (${problems.join('; ')}). ` +
          'Publish it with outbox.publish or transitionEnvelope().',
      );
    }
    return message as TransitionEnvelope;
  }
}
