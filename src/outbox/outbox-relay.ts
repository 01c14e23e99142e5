import type { ClaimedMessage, OutboxStore } from '../store/outbox-store.interface.js';
import { retryDelay, type Backoff } from './backoff.js';
import type { TransitionDelivery, TransitionHandler } from './transition-delivery.js';

/** How a relay delivers. */
export interface RelayOptions {
  /** Messages claimed per round, delivered concurrently. */
  readonly batchSize: number;
  /** Wait between rounds that found nothing (a commit in this process wakes the relay sooner). */
  readonly pollIntervalMs: number;
  /**
   * How long a claim holds a message. A handler still running then is given up (counted as a
   * failure) so that another relay may take the message: keep handlers shorter.
   */
  readonly leaseMs: number;
  /** Attempts before a message is parked as dead. */
  readonly maxAttempts: number;
  readonly backoff: Backoff;
  /** Keep delivered messages this long (0: delete them on delivery). */
  readonly keepDeliveredMs: number;
}

/** What one round did. */
export interface RelayRound {
  readonly claimed: number;
  readonly delivered: number;
  readonly retried: number;
  readonly dead: number;
}

/** Where a relay reports: Nest's Logger fits. */
export interface RelayLog {
  warn(message: string): void;
  error(message: string, stack?: string): void;
}

/**
 * How long a woken relay waits before its round, so that the commits of a burst go out in one
 * round (one claim, one completion) rather than one round each.
 */
const GATHER_MS = 10;
/**
 * Under a steady flow the wait grows with the messages the last round found (2 ms each, up to
 * this): a round's claim and completion cost about as much as 25 messages' share of them, so
 * fewer, fuller rounds halve the relay's work per message once the flow passes about 500
 * messages a second, and add at most this much to their delivery time. A light flow keeps
 * GATHER_MS.
 */
const MAX_GATHER_MS = 50;
const GATHER_MS_PER_MESSAGE = 2;

/** The wait before the next round, after a round that claimed `claimed` messages. */
export const gatherAfter = (claimed: number) =>
  Math.min(MAX_GATHER_MS, Math.max(GATHER_MS, claimed * GATHER_MS_PER_MESSAGE));

/** A failure carrying its own message, as `lastError` keeps it. */
const describe = (err: unknown) =>
  err instanceof Error ? `${err.name}: ${err.message}` : `thrown: ${String(err)}`;

/**
 * Delivers outbox messages to their handlers: claims a batch (with a lease), runs each handler,
 * completes the delivered ones, schedules the failed ones with backoff, parks as dead those that
 * failed `maxAttempts` times. A failing message never blocks the others. Several relays (in
 * several processes) may run on one store.
 *
 * @example
 * const relay = new OutboxRelay(store, new Map([['Mailer.shipped', (d) => mailer.send(d)]]), options, console);
 * await relay.drain(); // deliver what is due now, for scripts and tests
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;
  private again = false;
  /** A round is scheduled within GATHER_MS: a nudge need not schedule another. */
  private soon = false;
  private failures = 0;

  constructor(
    private readonly store: OutboxStore,
    private readonly handlers: ReadonlyMap<string, TransitionHandler>,
    private readonly options: RelayOptions,
    private readonly log: RelayLog,
  ) {}

  /** Delivers in the background until `stop()`. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling and waits for the round in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** A message was just committed: deliver soon (within 10 ms) instead of at the next poll. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else if (!this.soon) this.schedule(Math.min(GATHER_MS, this.options.pollIntervalMs), true);
  }

  /**
   * Rounds until nothing is due now (messages waiting for a retry later are left): for scripts,
   * tests and shutdown. Totals of the rounds.
   */
  async drain(maxRounds = 1000): Promise<RelayRound> {
    const total = { claimed: 0, delivered: 0, retried: 0, dead: 0 };
    for (let i = 0; i < maxRounds; i++) {
      const round = await this.exclusive(() => this.round());
      total.claimed += round.claimed;
      total.delivered += round.delivered;
      total.retried += round.retried;
      total.dead += round.dead;
      if (round.claimed === 0) break;
    }
    return total;
  }

  /**
   * One round: claim, deliver concurrently, then settle: the delivered messages in one
   * statement, each failed one on its own (its backoff is its own).
   */
  async round(now: Date = new Date()): Promise<RelayRound> {
    const { batchSize, leaseMs } = this.options;
    const claimed = await this.store.claim({ limit: batchSize, leaseMs, now });
    if (!claimed.length) return { claimed: 0, delivered: 0, retried: 0, dead: 0 };
    const lease = this.leaseEnd();
    let outcomes: ('delivered' | 'retried' | 'dead')[];
    try {
      outcomes = await Promise.all(claimed.map((m) => this.deliver(m, lease.ended)));
    } finally {
      lease.clear();
    }
    const delivered = claimed.filter((_, i) => outcomes[i] === 'delivered');
    if (delivered.length) {
      const keep = this.options.keepDeliveredMs > 0;
      const done = await this.store.complete(delivered, { keep, now: new Date() });
      if (done < delivered.length) {
        this.log.warn(
          `${delivered.length - done} of ${delivered.length} outbox messages (ids ${delivered.map((m) => m.id).join(', ')}) were delivered after their lease ended; another relay may deliver them again`,
        );
      }
    }
    return {
      claimed: claimed.length,
      delivered: delivered.length,
      retried: outcomes.filter((o) => o === 'retried').length,
      dead: outcomes.filter((o) => o === 'dead').length,
    };
  }

  private async deliver(
    message: ClaimedMessage,
    leaseEnded: Promise<never>,
  ): Promise<'delivered' | 'retried' | 'dead'> {
    const handler = this.handlers.get(message.handler);
    try {
      if (!handler) {
        throw new Error(
          `no handler '${message.handler}' in this application (renamed or removed?): redrive the message once it is back`,
        );
      }
      await Promise.race([handler(this.delivery(message)), leaseEnded]);
    } catch (err) {
      return this.failed(message, err);
    }
    return 'delivered';
  }

  private async failed(message: ClaimedMessage, err: unknown): Promise<'retried' | 'dead'> {
    const now = new Date();
    const dead = message.attempts >= this.options.maxAttempts;
    const retryAt = dead
      ? null
      : new Date(now.getTime() + retryDelay(this.options.backoff, message.attempts));
    const error = describe(err);
    await this.store.fail(message, { error, retryAt, now });
    const what = `outbox message ${message.id}: ${message.handler} failed for ${message.record.resource} ${message.record.resourceId} ${message.record.event} (attempt ${message.attempts})`;
    if (dead) {
      this.log.error(`${what}; parked as dead after ${message.attempts} attempts: ${error}`);
      return 'dead';
    }
    this.log.warn(`${what}; retrying at ${retryAt?.toISOString() ?? ''}: ${error}`);
    return 'retried';
  }

  private delivery(message: ClaimedMessage): TransitionDelivery {
    const { store } = this;
    return {
      transitionId: message.record.transitionId,
      handler: message.handler,
      attempt: message.attempts,
      record: message.record,
      payload: message.payload,
      once: (work) =>
        store.once(message.record.transitionId, message.handler, work as (tx: unknown) => never),
    };
  }

  /**
   * A failure once the round's leases are nearly over (one timer for the round: its messages
   * were claimed together), which each delivery races.
   */
  private leaseEnd(): { ended: Promise<never>; clear: () => void } {
    const limit = Math.max(this.options.leaseMs - 1000, this.options.leaseMs * 0.8);
    let timer: NodeJS.Timeout | undefined;
    const ended = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`the handler ran longer than the lease (${limit} ms)`));
      }, limit);
    });
    // A round whose handlers all settle in time never looks at it.
    ended.catch(() => undefined);
    return {
      ended,
      clear: () => {
        clearTimeout(timer);
      },
    };
  }

  private schedule(ms: number, soon = false): void {
    clearTimeout(this.timer);
    this.soon = soon;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.soon = false;
    if (this.stopped || this.running) return;
    let next = this.options.pollIntervalMs;
    try {
      const round = await this.exclusive(() => this.round());
      this.failures = 0;
      // A full batch: there may be more right now. A delivery: the messages it held back (the
      // same resource's next ones) are free now; commits meanwhile: new messages. Both gather
      // for a moment first.
      if (round.claimed === this.options.batchSize) next = 0;
      else if (round.delivered > 0 || this.again) next = gatherAfter(round.claimed);
    } catch (err) {
      // The store is down (or worse): back off, say so once in a while.
      this.failures++;
      if (this.failures === 1 || this.failures % 20 === 0) {
        this.log.warn(`outbox relay cannot claim messages (${this.failures}x): ${describe(err)}`);
      }
      next = Math.min(this.options.pollIntervalMs * 2 ** Math.min(this.failures, 6), 30_000);
    }
    this.again = false;
    // stop() may have been called while the round ran. A round due within the gathering is
    // 'soon': a commit meanwhile need not bring it forward.
    if (!this.isStopped()) this.schedule(next, next <= MAX_GATHER_MS);
  }

  private isStopped(): boolean {
    return this.stopped;
  }

  private async exclusive<T>(work: () => Promise<T>): Promise<T> {
    while (this.running) await this.running.catch(() => undefined);
    const run = work();
    this.running = run;
    try {
      return await run;
    } finally {
      this.running = undefined;
    }
  }
}
