import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { TransitionExchange } from '../commit/transition-exchange.js';
import { knownCallOf } from '../request/transport-call.js';

import type { TransitionOf } from '../definition/checked-transition.js';

/**
 * The type of `@CurrentTransition()`: `CurrentTransition<typeof order, 'SHIP'>` for a resource
 * from `defineResource` (payload, context and commit changes typed from it), or
 * `CurrentTransition<OrderContext>` for a context type alone.
 */
export type CurrentTransition<R = unknown, E extends string = string> = TransitionOf<R, E>;

/**
 * The checked transition of this request, in a handler guarded by `@Transition()`: type it
 * `CurrentTransition<typeof order, 'SHIP'>` for a typed payload, context and commit.
 *
 * @example
 * @Post(':id/ship') @Transition(order, 'SHIP')
 * ship(@CurrentTransition() t: CurrentTransition<typeof order, 'SHIP'>) {
 *   return this.transitions.commit(t, { carrier: t.payload.carrier });
 * }
 */
export const CurrentTransition = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  const transition = TransitionExchange.ofRequest(knownCallOf(ctx))?.transition;
  if (!transition) {
    throw new Error(
      '@CurrentTransition() is used on a handler without @Transition(): nothing was checked. ' +
        'Add @Transition(resource, event) to the handler or its controller.',
    );
  }
  return transition;
});
