import type {
  IdempotencyClaim,
  IdempotencyRecord,
  IdempotencyStore,
  StoredResponse,
} from './idempotency-store.interface.js';
import { IdempotencyKeyLostError, StoreUnavailableError } from './store-errors.js';

/**
 * Idempotency keys in memory: one process only (tests, examples, single-instance apps). Bounded:
 * at most `maxKeys` live keys (default 100,000, about 250 MB at worst); expired keys are dropped
 * when the store is full and by `purge()`. A claim that finds the store full of live keys fails
 * as unavailable (503) rather than forget a key that must not run twice.
 *
 * @example
 * TransitionGuardModule.forRoot({ idempotency: { store: MemoryIdempotencyStore } });
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly records = new Map<string, IdempotencyRecord>();

  constructor(private readonly maxKeys = 100_000) {}

  /** How many keys it holds now, expired ones not yet dropped included. */
  get size(): number {
    return this.records.size;
  }

  get(caller: string, key: string): Promise<IdempotencyRecord | null> {
    return Promise.resolve(this.live(caller, key) ?? null);
  }

  claim(caller: string, key: string, claim: IdempotencyClaim): Promise<boolean> {
    const record = this.live(caller, key);
    const free =
      !record || (record.status === 'in-progress' && record.leaseUntil.getTime() <= Date.now());
    if (free && !record && this.records.size >= this.maxKeys) {
      this.dropExpired(Date.now(), Infinity);
      if (this.records.size >= this.maxKeys) {
        const full = new Error(
          `it holds ${this.maxKeys} live keys (its maxKeys); use a SQL idempotency store, a shorter idempotency.ttlSeconds, or a larger maxKeys`,
        );
        return Promise.reject(new StoreUnavailableError('idempotency', { cause: full }));
      }
    }
    if (free) this.records.set(id(caller, key), { caller, key, status: 'in-progress', ...claim });
    return Promise.resolve(free);
  }

  renew(caller: string, key: string, token: string, leaseUntil: Date): Promise<boolean> {
    const record = this.live(caller, key);
    const held = record?.token === token && record.status === 'in-progress';
    if (held) this.records.set(id(caller, key), { ...record, leaseUntil });
    return Promise.resolve(held);
  }

  purge(before: Date, limit: number): Promise<number> {
    return Promise.resolve(this.dropExpired(before.getTime(), limit));
  }

  private dropExpired(before: number, limit: number): number {
    let dropped = 0;
    for (const [k, record] of this.records) {
      if (dropped >= limit) break;
      if (record.expiresAt.getTime() <= before) {
        this.records.delete(k);
        dropped++;
      }
    }
    return dropped;
  }

  markCommitted(caller: string, key: string, token: string, committed: unknown): Promise<void> {
    const record = this.records.get(id(caller, key));
    if (!record || record.token !== token || record.status !== 'in-progress') {
      return Promise.reject(new IdempotencyKeyLostError(key));
    }
    this.records.set(id(caller, key), { ...record, status: 'committed', committed });
    return Promise.resolve();
  }

  complete(caller: string, key: string, token: string, response: StoredResponse): Promise<void> {
    const record = this.records.get(id(caller, key));
    if (record?.token === token && record.status !== 'completed') {
      this.records.set(id(caller, key), { ...record, status: 'completed', response });
    }
    return Promise.resolve();
  }

  release(caller: string, key: string, token: string): Promise<void> {
    const record = this.records.get(id(caller, key));
    if (record?.token === token && record.status === 'in-progress') {
      this.records.delete(id(caller, key));
    }
    return Promise.resolve();
  }

  private live(caller: string, key: string): IdempotencyRecord | undefined {
    const record = this.records.get(id(caller, key));
    if (record && record.expiresAt.getTime() <= Date.now()) {
      this.records.delete(id(caller, key));
      return undefined;
    }
    return record;
  }
}

const id = (caller: string, key: string) => `${caller}\n${key}`;
