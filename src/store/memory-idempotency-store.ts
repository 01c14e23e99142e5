import type {
  IdempotencyClaim,
  IdempotencyRecord,
  IdempotencyStore,
  StoredResponse,
} from './idempotency-store.interface.js';
import { IdempotencyKeyLostError } from './store-errors.js';

/**
 * Idempotency keys in memory: one process only (tests, examples, single-instance apps).
 *
 * @example
 * TransitionGuardModule.forRoot({ idempotency: { store: MemoryIdempotencyStore } });
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly records = new Map<string, IdempotencyRecord>();

  get(caller: string, key: string): Promise<IdempotencyRecord | null> {
    return Promise.resolve(this.live(caller, key) ?? null);
  }

  claim(caller: string, key: string, claim: IdempotencyClaim): Promise<boolean> {
    const record = this.live(caller, key);
    const free =
      !record || (record.status === 'in-progress' && record.leaseUntil.getTime() <= Date.now());
    if (free) this.records.set(id(caller, key), { caller, key, status: 'in-progress', ...claim });
    return Promise.resolve(free);
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
