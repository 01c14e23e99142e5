import type { GuardRequest } from '../guard/guard-request.js';

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

/**
 * A route whose guard commits the transition itself (`@Transition(order, 'DELIVER', { commit })`):
 * for an event no guard and no context decides, in one conditional statement, `UPDATE ... WHERE
 * id = ? AND state = ? [AND version = ?]`, without reading the row first (the row is read only
 * to explain a refusal). The handler runs after the commit and gets `@CommittedTransition()`.
 */
export interface GuardCommit<
  TPayload = Record<string, unknown>,
  TChanges extends object = Record<string, unknown>,
> {
  /** The other fields written with the state, from the payload (the row is not read first). */
  readonly changes?: (payload: TPayload) => TChanges | undefined;
  /** Return the row as written too (`row` of `@CommittedTransition()`). */
  readonly returning?: boolean;
}

/** Metadata key of `@Transition()` on a handler or a controller class. */
export const TRANSITION_METADATA = 'transition-guard:transition';
