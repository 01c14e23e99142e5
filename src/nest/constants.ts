/** Metadata key of `@Transition()` on a handler or a controller class. */
export const TRANSITION_METADATA = 'transition-guard:transition';
/** Where the guard leaves what it loaded and checked, on the request, for `@CurrentTransition()`. */
export const CURRENT_TRANSITION = Symbol.for('transition-guard:current-transition');
