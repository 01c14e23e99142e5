import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { ChangesOf } from '../definition/checked-transition.js';
import type { CommitResult, RowOf } from '../definition/commit.types.js';
import { TransitionExchange } from '../commit/transition-exchange.js';
import { knownCallOf } from '../request/transport-call.js';
import type { TransitionResource } from '../definition/resource-definition.js';

/**
 * The type of `@CommittedTransition()`: what the guard committed, with `row` (the row as written)
 * when the route asks for it (`commit: { returning: true }`); `CommittedTransition<typeof order>`
 * types `row` from the resource's store.
 */
export type CommittedTransition<R = unknown> = CommitResult & {
  readonly row?: R extends TransitionResource<infer _M, infer S, infer _P>
    ? RowOf<ChangesOf<S>>
    : Record<string, unknown>;
};

/**
 * The transition the guard committed itself, in a handler whose `@Transition()` has `commit`:
 * the state changed before the handler ran, in one conditional statement.
 *
 * @example
 * @Post(':id/deliver') @Transition(order, 'DELIVER', { commit: true })
 * deliver(@CommittedTransition() c: CommittedTransition<typeof order>) {
 *   return { id: c.id, state: c.to, version: c.version };
 * }
 */
export const CommittedTransition = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  const committed = TransitionExchange.ofRequest(knownCallOf(ctx))?.committed;
  if (!committed) {
    throw new Error(
      '@CommittedTransition() is used on a handler whose @Transition() does not commit: add ' +
        '{ commit: true } (or { commit: { changes } }) to it, or take @CurrentTransition() and ' +
        'call TransitionService.commit().',
    );
  }
  return committed;
});
