import type { EventExplanation, RefusalReason, StoredState } from '../../core/index.js';
import type { TransitionRecord } from '../../store/index.js';
import type { TransitionAudit } from './audit-fields.js';

/** The row as a commit attempt sees it, for changes computed from it. */
export interface CommitBase<TContext = unknown> {
  readonly state: StoredState;
  readonly context: TContext;
  readonly version: number | undefined;
}

/**
 * The other fields the transition changes, written in the same statement as the state. A function
 * is called again on every attempt with the row as that attempt sees it (use it when a change
 * depends on the row: `paid: base.context.paid + amount`).
 */
export type TransitionChanges<
  TContext = unknown,
  TChanges extends object = Record<string, unknown>,
> = TChanges | ((base: CommitBase<TContext>) => TChanges | undefined);

/** A transition as it was committed. */
export interface CommitResult {
  readonly resource: string;
  readonly id: string;
  readonly event: string;
  readonly from: StoredState;
  readonly to: StoredState;
  /** The version after the write (when the store keeps one). */
  readonly version: number | undefined;
  /** 1 when the first write matched; more after lost races that were retried. */
  readonly attempts: number;
}

/** Called around commits of matching transitions. */
export interface TransitionListener {
  readonly resource?: string;
  readonly event?: string;
  /** Inside the write's transaction (where the store has one): throwing rolls everything back. */
  beforeCommit?(record: TransitionRecord, tx: unknown): Promise<void> | void;
  /**
   * After the write committed, in this process, for side effects that need no durability. Never
   * called for a write that lost the race. Errors are logged.
   */
  afterCommit?(record: TransitionRecord): Promise<void> | void;
}

/** One resource as `TransitionService.inspect()` shows it to a client. */
export interface ResourceInspection {
  readonly resource: string;
  readonly id: string;
  /** The state, in its canonical stored form. */
  readonly state: StoredState;
  readonly version: number | undefined;
  /** `"v<version>"`, what `If-Match` is compared with. */
  readonly etag: string | undefined;
  readonly context: unknown;
  /** The events this caller may send now (payloads aside). */
  readonly allowedEvents: readonly string[];
  /**
   * Every event of the machine, allowed for this caller or why not (`role-required` with
   * `requiredRoles` included), with its route where the app has one: what a UI greys buttons
   * out with.
   */
  readonly transitions: readonly CallerEvent[];
}

/** How `TransitionService.commit()` writes. */
export interface CommitOptions {
  /**
   * `'optimistic'` (default: compare-and-set, a lost race is reloaded, re-checked and retried) or
   * `'pessimistic'` (the row locked first, concurrent commits queue: for hot rows). Default: the
   * resource's `locking`.
   */
  readonly locking?: 'optimistic' | 'pessimistic';
  /** Also return the row as written (`row`), without a second load where the store can. */
  readonly returning?: boolean;
  /**
   * Audit fields for the transition log, over those the route took from the body: `reason` (up
   * to 200 characters), `comment` (2,000), `metadata` (a JSON object, 4 KB, 5 levels).
   */
  readonly audit?: TransitionAudit;
}

/** How `TransitionService.send()` makes a transition no request asked for. */
export interface SendOptions extends Omit<CommitOptions, 'returning'> {
  /** Who, for the log: default `'system'`; `systemActor('expiry')` gives `'system:expiry'`. */
  readonly actor?: string;
  /** The changes written with the state, as `commit()` takes them. */
  readonly changes?: TransitionChanges;
  readonly correlationId?: string;
}

/** The row as written, from what a store's changes type says of it (`Partial<Order>` -> `Order`). */
export type RowOf<TChanges> = { [K in keyof TChanges]-?: Exclude<TChanges[K], undefined> };

/**
 * One event as a given caller may send it now: the machine's answer (payloads aside), and the
 * roles the guard asks for, in the guard's order (the event's roles, the machine, the roles of the
 * transition it takes). Where the app has a route for it: its method and `href`.
 */
export type CallerEvent = (
  | Extract<EventExplanation, { allowed: true }>
  | {
      readonly event: string;
      readonly allowed: false;
      /** The machine's reason, or `role-required`: the caller lacks one of `requiredRoles`. */
      readonly reason: RefusalReason | 'role-required';
      readonly blockedBy?: readonly string[];
      readonly requiredRoles?: readonly string[];
    }
) & {
  /** The route that sends it, where the app has one. */
  readonly method?: string;
  readonly href?: string;
};
