import type { CommitBase } from './commit.types.js';
import type { GuardRequest } from './guard-request.js';

/** Where the guard reads the resource id: a route param, a header, a query param, or a function. */
export type IdSource =
  | string
  | { readonly param: string }
  | { readonly header: string }
  | { readonly query: string }
  | ((request: GuardRequest) => unknown);

/** What `@Transition()` records on a handler or a class. */
export interface TransitionMetadata {
  readonly resource: string;
  /** The fixed event, or undefined when it comes from the request body's `type`. */
  readonly event: string | undefined;
  readonly id: IdSource;
  /** `'required'`: 428 without `If-Match`. Default: the module's `requireIfMatch`. */
  readonly ifMatch?: 'optional' | 'required';
  /** Honour `Idempotency-Key` on this route. */
  readonly idempotency?: boolean;
  /** The route never commits (a check-only resource may serve it even if its controller can). */
  readonly checkOnly?: boolean;
  /** Audit fields (`reason`, `comment`, `metadata`) come from the body. */
  readonly audit?: boolean;
  /** The guard commits the transition itself, before the handler runs. */
  readonly commit?: GuardCommit;
}

/** What the guard commits, as `@Transition()` records it (`commit` or `commitLocked`). */
export type GuardCommit =
  (UnreadCommit & { readonly lock: false }) | (LockedCommit & { readonly lock: true });

/**
 * `@Transition(..., { commit })`: the guard commits the transition itself before the handler runs
 * (which gets `@CommittedTransition()`), for an event no guard and no context decides, in one
 * conditional statement, `UPDATE ... WHERE id = ? AND state = ? [AND version = ?]`, without
 * reading the row first (the row is read only to explain a refusal).
 */
export interface UnreadCommit<
  TPayload = Record<string, unknown>,
  TChanges extends object = Record<string, unknown>,
> {
  /** The other fields written with the state, from the payload (the row is not read). */
  readonly changes?: (payload: TPayload) => TChanges | undefined;
  /** Return the row as written too (`row` of `@CommittedTransition()`). */
  readonly returning?: boolean;
}

/**
 * `@Transition(..., { commitLocked })`: the guard commits any event under a row lock (`SELECT ...
 * FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite), in one transaction: the row read once,
 * inside the lock, checked, written. Concurrent requests on a hot row queue instead of racing;
 * none is answered `stale-state`. The handler runs after the commit.
 */
export interface LockedCommit<
  TPayload = Record<string, unknown>,
  TChanges extends object = Record<string, unknown>,
  TContext = unknown,
> {
  /** The other fields written with the state, from the payload and the row read under the lock. */
  readonly changes?: (payload: TPayload, row: CommitBase<TContext>) => TChanges | undefined;
  /** Return the row as written too (`row` of `@CommittedTransition()`). */
  readonly returning?: boolean;
}

/** Metadata key of `@Transition()` on a handler or a controller class. */
export const TRANSITION_METADATA = 'transition-guard:transition';
