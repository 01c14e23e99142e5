/** A response as stored for replay. */
export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
  /** The headers that matter for a replay (ETag, Location, Content-Type). */
  readonly headers: Readonly<Record<string, string>>;
}

/** One idempotency key of one caller. */
export interface IdempotencyRecord {
  readonly caller: string;
  readonly key: string;
  readonly fingerprint: string;
  /**
   * `in-progress`: the first request runs. `committed`: its state change committed (written in the
   * same transaction) but the response is not stored yet. `completed`: the response is stored.
   */
  readonly status: 'in-progress' | 'committed' | 'completed';
  readonly response?: StoredResponse;
  /** With `committed`: what was committed, replayed when the response could not be stored. */
  readonly committed?: unknown;
  readonly expiresAt: Date;
}

/**
 * Where idempotency keys live. `begin` must be atomic (exactly one of concurrent first requests
 * wins, across processes); `markCommitted` runs inside the state change's transaction where the
 * transition store has one (`tx`). Implementations: `MemoryIdempotencyStore`,
 * `TypeOrmIdempotencyStore` (`nestjs-transition-guard/typeorm`).
 */
export interface IdempotencyStore {
  /** The live record (not expired) of this caller's key, or null. */
  get(caller: string, key: string): Promise<IdempotencyRecord | null>;
  /** Creates the in-progress record; false when a live one exists already. */
  begin(caller: string, key: string, fingerprint: string, expiresAt: Date): Promise<boolean>;
  markCommitted(caller: string, key: string, committed: unknown, tx: unknown): Promise<void>;
  complete(caller: string, key: string, response: StoredResponse): Promise<void>;
  /** Forgets the key (the first request failed with a 5xx: a retry runs again). */
  release(caller: string, key: string): Promise<void>;
}

/** Injection token of the idempotency store. */
export const IDEMPOTENCY_STORE = Symbol.for('transition-guard:idempotency-store');
