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
}

/** Metadata key of `@Transition()` on a handler or a controller class. */
export const TRANSITION_METADATA = 'transition-guard:transition';
