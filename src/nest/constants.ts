/** Metadata key of `@Transition()` on a handler or a controller class. */
export const TRANSITION_METADATA = 'transition-guard:transition';
/** Where the guard leaves what it loaded and checked, on the request, for `@CurrentTransition()`. */
export const CURRENT_TRANSITION = Symbol.for('transition-guard:current-transition');
/** A stored response to replay, left on the request by the guard. */
export const IDEMPOTENCY_REPLAY = Symbol.for('transition-guard:idempotency-replay');
/** A first request's idempotency key, left on the request by the guard. */
export const IDEMPOTENCY_PENDING = Symbol.for('transition-guard:idempotency-pending');
