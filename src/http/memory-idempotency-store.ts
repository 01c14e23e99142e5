import type {
  IdempotencyRecord,
  IdempotencyStore,
  StoredResponse,
} from './idempotency-store.interface.js';

/** Idempotency keys in memory: one process only (tests, examples, single-instance apps). */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly records = new Map<string, IdempotencyRecord>();

  async get(caller: string, key: string): Promise<IdempotencyRecord | null> {
    const record = this.records.get(`${caller}\n${key}`);
    if (!record) return null;
    if (record.expiresAt.getTime() <= Date.now()) {
      this.records.delete(`${caller}\n${key}`);
      return null;
    }
    return record;
  }

  async begin(caller: string, key: string, fingerprint: string, expiresAt: Date): Promise<boolean> {
    if (await this.get(caller, key)) return false;
    this.records.set(`${caller}\n${key}`, {
      caller,
      key,
      fingerprint,
      status: 'in-progress',
      expiresAt,
    });
    return true;
  }

  async markCommitted(caller: string, key: string, committed: unknown): Promise<void> {
    this.update(caller, key, { status: 'committed', committed });
  }

  async complete(caller: string, key: string, response: StoredResponse): Promise<void> {
    this.update(caller, key, { status: 'completed', response });
  }

  async release(caller: string, key: string): Promise<void> {
    this.records.delete(`${caller}\n${key}`);
  }

  private update(caller: string, key: string, changes: Partial<IdempotencyRecord>): void {
    const id = `${caller}\n${key}`;
    const record = this.records.get(id);
    if (record) this.records.set(id, { ...record, ...changes });
  }
}
