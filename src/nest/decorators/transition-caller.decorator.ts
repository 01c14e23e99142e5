import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { GuardRequest } from '../definition/guard-request.js';
import { callOf } from '../request/transport-call.js';

/**
 * The caller of this handler as the guard reads it, whatever the transport: the HTTP request, or
 * a GraphQL field's or a message's call (headers, user). Hand it to
 * `TransitionService.inspect(resource, id, { request })` for the events THIS caller may send now:
 * in a GraphQL field resolver too, where no `@Transition()` runs.
 *
 * @example
 * @ResolveField('allowedEvents')
 * async allowedEvents(@Parent() o: { id: number }, @TransitionCaller() caller: GuardRequest) {
 *   return (await this.transitions.inspect('order', String(o.id), { request: caller }))?.transitions ?? [];
 * }
 */
export const TransitionCaller = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): GuardRequest => callOf(ctx),
);
