import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { StoredState } from '../core/index.js';
import { CURRENT_TRANSITION } from './constants.js';

/** What the guard loaded and checked, handed to the handler so it never loads the resource twice. */
export interface CurrentTransition<TContext = unknown, TPayload = Record<string, unknown>> {
  readonly resource: string;
  readonly id: string;
  readonly event: string;
  readonly from: StoredState;
  readonly to: StoredState;
  /** The event's payload: the body without `type`, validated by the event's schema when it has one. */
  readonly payload: TPayload;
  readonly context: TContext;
  readonly version: number | string | undefined;
  /** Who asked, by the `getActor` option (for the transition log). */
  readonly actor: string | null;
}

/**
 * The checked transition of this request, in a handler guarded by `@Transition()`.
 *
 * @example
 * @Post(':id/ship') @Transition(order, 'SHIP')
 * ship(@CurrentTransition() t: CurrentTransition<OrderContext>) {
 *   return this.orders.update(t.id, { status: t.to });
 * }
 */
export const CurrentTransition = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  const request = ctx.switchToHttp().getRequest<Record<symbol, unknown>>();
  const current = request?.[CURRENT_TRANSITION];
  if (!current) {
    throw new Error(
      '@CurrentTransition() is used on a handler without @Transition(): nothing was checked. ' +
        'Add @Transition(resource, event) to the handler or its controller.',
    );
  }
  return current;
});
