import { randomUUID } from 'node:crypto';
import type {
  ClaimedMessage,
  NewOutboxMessage,
  OutboxMessage,
  OutboxStatus,
  OutboxStore,
} from './outbox-store.interface.js';
import { resourceKey } from './outbox-rows.js';

/** What memory stores share as their transaction scope: they commit together, in one process. */
export const MEMORY_SCOPE = Symbol.for('transition-guard:memory-scope');

interface Row {
  message: OutboxMessage;
  claim: string | null;
  lockedUntil: number;
}

/**
 * The outbox in memory, for tests and examples with memory stores: one process, lost on restart
 * (use `TypeOrmOutboxStore` for durability). `enqueue` runs inside the memory store's
 * compare-and-set, so a rolled-back commit writes nothing.
 *
 * @example
 * TransitionGuardModule.forRoot({ outbox: { store: MemoryOutboxStore } })
 */
export class MemoryOutboxStore implements OutboxStore {
  private readonly rows = new Map<string, Row>();
  private readonly handled = new Set<string>();
  private seq = 0;

  enqueue(_tx: unknown, messages: readonly NewOutboxMessage[]): Promise<void> {
    const now = new Date();
    for (const m of messages) {
      const id = String(++this.seq);
      const message: OutboxMessage = {
        ...m,
        id,
        status: 'pending',
        attempts: 0,
        availableAt: now,
        lastError: null,
        createdAt: now,
      };
      this.rows.set(id, { message, claim: null, lockedUntil: 0 });
    }
    return Promise.resolve();
  }

  claim(options: { limit: number; leaseMs: number; now: Date }): Promise<ClaimedMessage[]> {
    const now = options.now.getTime();
    const claimed: ClaimedMessage[] = [];
    // A handler's messages of one resource go out in order: only the first pending one is taken.
    const held = new Set<string>();
    for (const row of this.rows.values()) {
      if (claimed.length >= options.limit) break;
      const { message } = row;
      if (message.status !== 'pending') continue;
      const key = `${message.handler}\u0000${resourceKey(message.record)}`;
      if (held.has(key)) continue;
      held.add(key);
      if (message.availableAt.getTime() > now || row.lockedUntil > now) continue;
      row.claim = randomUUID();
      row.lockedUntil = now + options.leaseMs;
      row.message = { ...message, attempts: message.attempts + 1 };
      claimed.push({ ...row.message, claim: row.claim });
    }
    return Promise.resolve(claimed);
  }

  complete(
    messages: readonly ClaimedMessage[],
    options: { keep: boolean; now: Date },
  ): Promise<number> {
    let changed = 0;
    for (const message of messages) {
      const row = this.rows.get(message.id);
      if (!row || row.claim !== message.claim) continue;
      changed++;
      if (options.keep) {
        row.message = { ...row.message, status: 'delivered', availableAt: options.now };
        row.claim = null;
      } else this.rows.delete(message.id);
    }
    return Promise.resolve(changed);
  }

  fail(
    message: ClaimedMessage,
    failure: { error: string; retryAt: Date | null; now: Date },
  ): Promise<boolean> {
    const row = this.rows.get(message.id);
    if (!row || row.claim !== message.claim) return Promise.resolve(false);
    row.message = {
      ...row.message,
      status: failure.retryAt ? 'pending' : 'dead',
      availableAt: failure.retryAt ?? failure.now,
      lastError: failure.error,
    };
    row.claim = null;
    row.lockedUntil = 0;
    return Promise.resolve(true);
  }

  async once<T>(
    transitionId: string,
    handler: string,
    work: (tx: unknown) => Promise<T>,
  ): Promise<{ done: true; value: T } | { done: false }> {
    if (!(await this.markHandled(undefined, transitionId, handler))) return { done: false };
    try {
      return { done: true, value: await work(undefined) };
    } catch (err) {
      this.handled.delete(handledKey(transitionId, handler));
      throw err;
    }
  }

  /** Memory has no transactions: the record is kept at once (`tx` is ignored). */
  markHandled(_tx: unknown, transitionId: string, handler: string): Promise<boolean> {
    const key = handledKey(transitionId, handler);
    if (this.handled.has(key)) return Promise.resolve(false);
    this.handled.add(key);
    return Promise.resolve(true);
  }

  list(query: { status: OutboxStatus; limit: number }): Promise<OutboxMessage[]> {
    const found = [...this.rows.values()]
      .map((r) => r.message)
      .filter((m) => m.status === query.status)
      .slice(0, query.limit);
    return Promise.resolve(found);
  }

  redrive(id: string, now: Date): Promise<boolean> {
    const row = this.rows.get(id);
    if (row?.message.status !== 'dead') return Promise.resolve(false);
    row.message = { ...row.message, status: 'pending', attempts: 0, availableAt: now };
    return Promise.resolve(true);
  }

  purge(before: Date): Promise<number> {
    let n = 0;
    for (const [id, row] of this.rows) {
      if (row.message.status === 'delivered' && row.message.availableAt < before) {
        this.rows.delete(id);
        n++;
      }
    }
    return Promise.resolve(n);
  }

  transactionScope(): unknown {
    return MEMORY_SCOPE;
  }
}

/** The key of a (transition, handler) pair in `handled`. */
const handledKey = (transitionId: string, handler: string) => `${transitionId}\u0000${handler}`;
