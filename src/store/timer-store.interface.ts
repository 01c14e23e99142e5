import type { TimerChange } from '../core/timers.js';

/** Injection token of the timer store (the class named in `timers.store`, or a memory one). */
export const TIMER_STORE = Symbol.for('transition-guard:timer-store');

/** Whose timers: one resource (its registered name and id). */
export interface TimerOwner {
  readonly resource: string;
  readonly resourceId: string;
}

/** A timer armed for a resource: due at `dueAt` by the database's clock. */
export interface StoredTimer extends TimerOwner {
  /** XState's id of the `after` transition, also the event it sends (`xstate.after.<delay>.<state>`). */
  readonly timer: string;
  readonly dueAt: Date;
  /** The resource's version written by the transition that armed it (null: no version kept, or armed by the app). */
  readonly armedVersion: number | null;
  readonly armedAt: Date;
  /** Claims so far (a claim whose firing failed or crashed counts). */
  readonly attempts: number;
}

/** A due timer claimed for firing: `claim` proves the claim is still this loop's. */
export interface ClaimedTimer extends StoredTimer {
  /** The row's id (a decimal string). */
  readonly id: string;
  readonly claim: string;
  /** How late it was when claimed, by the database's clock (0 or more). */
  readonly lateMs: number;
}

/**
 * Where the timers of `after` transitions live: armed and disarmed in the transition's own
 * transaction (`change`), so that a rolled-back commit leaves none and a committed one never
 * lacks one; claimed when due with a lease (firing loops in several processes never hold one
 * timer at once while its lease runs); removed in the firing's own transaction. Due times are
 * the database's clock plus the delay. Implementations: `MemoryTimerStore` (tests, with a clock
 * you move) and the SQL stores of every ORM (`TypeOrmTimerStore`, ...).
 */
export interface TimerStore {
  /**
   * Disarms `change.disarm` then arms `change.arm` for one resource, through `tx` (the transaction
   * handle the transition store gave; undefined: in a statement of its own).
   */
  change(
    tx: unknown,
    owner: TimerOwner,
    change: TimerChange,
    armedVersion: number | undefined,
  ): Promise<void>;
  /** Claims up to `limit` due timers not held by a running lease, most overdue first, for `leaseMs`. */
  claim(options: { readonly limit: number; readonly leaseMs: number }): Promise<ClaimedTimer[]>;
  /**
   * Deletes a claimed timer through `tx` (the firing's transaction) or alone: true when it was
   * still held by its claim (false: disarmed meanwhile, or its lease ran out and another loop took it).
   */
  remove(timer: ClaimedTimer, tx?: unknown): Promise<boolean>;
  /** A resource's armed timers, soonest first. */
  list(owner: TimerOwner): Promise<StoredTimer[]>;
  /** What transaction handles of this store are: compared at bootstrap with the transition stores'. */
  transactionScope?(): unknown;
  /** Checks at bootstrap that the store can work (its table is known to the ORM). */
  verify?(): void;
}
