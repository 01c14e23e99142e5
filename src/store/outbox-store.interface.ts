import type { TransitionRecord } from './transition-record.js';

/** Injection token of the outbox store (the class named in `outbox.store`, or a memory one). */
export const OUTBOX_STORE = Symbol.for('transition-guard:outbox-store');

/** A message to write with a transition: one per handler the transition matches. */
export interface NewOutboxMessage {
  /** The handler's name (`Class.method` of an `@OnTransition()` method). */
  readonly handler: string;
  readonly record: TransitionRecord;
  /** The event's payload, as the guard validated it. */
  readonly payload: Readonly<Record<string, unknown>>;
}

/** Where a message is: waiting (or being delivered), delivered (kept for `retention`), or dead. */
export type OutboxStatus = 'pending' | 'delivered' | 'dead';

/** A message in the outbox. */
export interface OutboxMessage extends NewOutboxMessage {
  /** The row's id (a decimal string). */
  readonly id: string;
  readonly status: OutboxStatus;
  /** Deliveries tried so far (failed, or cut short by a crash: a claim counts). */
  readonly attempts: number;
  /** Not delivered before this (the backoff after a failure). */
  readonly availableAt: Date;
  /** The last failure's message. */
  readonly lastError: string | null;
  readonly createdAt: Date;
}

/** A message claimed for delivery: `claim` proves the claim is still this relay's. */
export interface ClaimedMessage extends OutboxMessage {
  readonly claim: string;
}

/**
 * Where outbox messages live: written in the transition's own transaction (`enqueue`), claimed by
 * relays with a lease (`claim`: several relays never claim one message at once while its lease
 * runs), then completed, retried later, or parked as dead. `once` records a handled transition in
 * the same transaction as the handler's writes, for exactly-once effects in that database.
 * Implementations: `MemoryOutboxStore` (one process, not durable) and `TypeOrmOutboxStore`
 * (`nestjs-transition-guard/typeorm`).
 */
export interface OutboxStore {
  /** Writes the messages through `tx`, the transaction handle the transition store gave. */
  enqueue(tx: unknown, messages: readonly NewOutboxMessage[]): Promise<void>;
  /**
   * Claims up to `limit` pending messages due at `now` and not claimed by a lease still running,
   * oldest first, for `leaseMs`; each claim counts as an attempt. A message is not claimed while
   * an earlier message of the same handler and resource (type and id) is pending: a resource's
   * messages reach each handler in commit order.
   */
  claim(options: { limit: number; leaseMs: number; now: Date }): Promise<ClaimedMessage[]>;
  /**
   * Delivered: deleted, or kept as `delivered` when `keep`, in as few statements as the claims
   * allow. How many were still held by their claim (a message whose lease ran out is not).
   */
  complete(
    messages: readonly ClaimedMessage[],
    options: { keep: boolean; now: Date },
  ): Promise<number>;
  /** Failed: pending again from `retryAt`, or `dead` when `retryAt` is null. */
  fail(
    message: ClaimedMessage,
    failure: { error: string; retryAt: Date | null; now: Date },
  ): Promise<boolean>;
  /**
   * Runs `work` in a transaction that first records (`transitionId`, `handler`) as handled; when
   * it was already recorded, does nothing and answers `{ done: false }`. `work`'s writes through
   * `tx` commit with the record: exactly once.
   */
  once<T>(
    transitionId: string,
    handler: string,
    work: (tx: unknown) => Promise<T>,
  ): Promise<{ done: true; value: T } | { done: false }>;
  /**
   * Records (`transitionId`, `handler`) as handled through `tx`, a transaction of this store's
   * ORM the caller runs: true when this call recorded it, false when it was recorded before.
   * The record commits or rolls back with `tx`. For an inbox inside the consumer's own unit of
   * work (`TransitionInbox.receiveIn`).
   */
  markHandled?(tx: unknown, transitionId: string, handler: string): Promise<boolean>;
  /** Messages by status, oldest first. */
  list(query: { status: OutboxStatus; limit: number }): Promise<OutboxMessage[]>;
  /** A dead message pending again, its attempts reset. False when there is no such dead message. */
  redrive(id: string, now: Date): Promise<boolean>;
  /** Deletes delivered messages older than `before`; how many. */
  purge(before: Date): Promise<number>;
  /** See `TransitionStore.transactionScope`: must equal the scope of the stores it writes with. */
  transactionScope(): unknown;
  /** Bootstrap check (tables known to the ORM), throwing an error that names the fix. */
  verify?(): void;
}
