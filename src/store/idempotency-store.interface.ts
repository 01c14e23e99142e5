/** A response as stored for replay. */
export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
  /** The headers that matter for a replay (ETag, Location, Content-Type). */
  readonly headers: Readonly<Record<string, string>>;
}

/** Who holds a key, for how long, and what the request was. */
export interface IdempotencyClaim {
  /** What makes two requests "the same request" (method, path, body): a replay must match it. */
  readonly fingerprint: string;
  /** Random, per attempt: only the attempt holding the key may commit, complete or release it. */
  readonly token: string;
  /** Until when this attempt holds the key; after it, a retry may take the key over. */
  readonly leaseUntil: Date;
  /** When the record is forgotten altogether. */
  readonly expiresAt: Date;
}

/** One idempotency key of one caller. */
export interface IdempotencyRecord extends IdempotencyClaim {
  readonly caller: string;
  readonly key: string;
  /**
   * `in-progress`: an attempt runs. `committed`: its state change committed (marked in the same
   * transaction); the response may not be stored yet. `completed`: the response is stored.
   */
  readonly status: 'in-progress' | 'committed' | 'completed';
  readonly response?: StoredResponse;
  /** With `committed`: what was committed, replayed when the response could not be stored. */
  readonly committed?: unknown;
}

/**
 * Where idempotency keys live. Every method that changes a record names the attempt's `token`
 * and changes nothing when another attempt holds the key.
 *
 * - `claim` is atomic across processes: it creates the in-progress record, or takes over an
 *   in-progress one whose lease ended (or an expired one); exactly one of concurrent claims wins.
 * - `markCommitted` runs inside the state change's transaction (`tx`) where the transition store
 *   has one, and throws `IdempotencyKeyLostError` when the attempt no longer holds the key, which
 *   rolls the state change back: a transition never commits twice for one key.
 *
 * - `renew` (the lease heartbeat) and `purge` (retention) are optional for a store of your own;
 *   every store of the package has both.
 *
 * Implementations: `MemoryIdempotencyStore`, and the SQL stores of each ORM
 * (`TypeOrmIdempotencyStore`, `PrismaIdempotencyStore`, `DrizzleIdempotencyStore`,
 * `MikroOrmIdempotencyStore`).
 */
export interface IdempotencyStore {
  /** The record of this caller's key (not expired), or null. */
  get(caller: string, key: string): Promise<IdempotencyRecord | null>;
  /** Takes the key for one attempt; false when another attempt holds it or it is settled. */
  claim(caller: string, key: string, claim: IdempotencyClaim): Promise<boolean>;
  markCommitted(
    caller: string,
    key: string,
    token: string,
    committed: unknown,
    tx: unknown,
  ): Promise<void>;
  complete(caller: string, key: string, token: string, response: StoredResponse): Promise<void>;
  /** Forgets an in-progress key held by `token` (the attempt failed before committing). */
  release(caller: string, key: string, token: string): Promise<void>;
  /**
   * Extends the lease of an in-progress key held by `token` to `leaseUntil`: the heartbeat of a
   * running handler, so that a handler slower than the lease keeps its key. False when the
   * attempt no longer holds the key (taken over, settled, expired): that attempt cannot commit.
   * Without it, a handler that outlives its lease may run twice for one key.
   */
  renew?(caller: string, key: string, token: string, leaseUntil: Date): Promise<boolean>;
  /**
   * Deletes up to `limit` keys that expired at or before `before`, returning how many: the
   * module calls it on a schedule (`idempotency.purge`), a script may too.
   */
  purge?(before: Date, limit: number): Promise<number>;
  /** Checks at bootstrap that the store can work, throwing an error that names the fix. */
  verify?(): void;
}

/** Injection token of the idempotency store. */
export const IDEMPOTENCY_STORE = Symbol.for('transition-guard:idempotency-store');
