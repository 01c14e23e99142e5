import {
  applyDecorators,
  SetMetadata,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import type { AnyStateMachine } from 'xstate';
import type { EventTypeOf } from '../core/index.js';
import { TRANSITION_METADATA } from './constants.js';
import type { TransitionResource } from './resource-definition.js';
import type { IdSource, TransitionMetadata } from './transition-metadata.js';
import { TransitionGuard } from './transition.guard.js';
import { TransitionExceptionFilter } from './transition-exception.filter.js';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';

export interface TransitionDecoratorOptions {
  /**
   * Where the resource id comes from. Default: the route param `id`. A string names another route
   * param; `{ header }`, `{ query }` or a function of the request are also accepted.
   */
  readonly id?: IdSource;
  /** `'required'`: answer 428 to a request without `If-Match`. Default: the module option. */
  readonly ifMatch?: 'optional' | 'required';
  /** Honour `Idempotency-Key`: a repeated request gets the first one's response replayed. */
  readonly idempotency?: boolean;
}

/**
 * Guards a route: before the handler runs, the resource is loaded and the event checked against
 * its machine. A refusal answers 409 (or 400, 403, 404: see the README's order of checks); the
 * handler gets what was loaded through `@CurrentTransition()`. Attaches the guard itself; works
 * with the guard registered globally as `APP_GUARD` too. Usable on a method or a class.
 *
 * With no event, the event comes from the request body: `POST /orders/:id/events` with
 * `{ "type": "SHIP", ...payload }`. With a fixed event, the body is the payload.
 *
 * @example
 * @Post(':id/ship')
 * @Transition(order, 'SHIP') // `order` from defineResource(): 'SHIP' is type-checked
 * ship(@CurrentTransition() t: CurrentTransition) { ... }
 *
 * @Post(':id/events')
 * @Transition('order')
 * send(@CurrentTransition() t: CurrentTransition) { ... }
 */
export function Transition<M extends AnyStateMachine>(
  resource: TransitionResource<M> | string,
  event?: EventTypeOf<M> | (string & {}),
  options: TransitionDecoratorOptions = {},
): ClassDecorator & MethodDecorator {
  const metadata: TransitionMetadata = {
    resource: typeof resource === 'string' ? resource : resource.resource,
    event: event as string | undefined,
    id: options.id ?? 'id',
    ...(options.ifMatch ? { ifMatch: options.ifMatch } : {}),
    ...(options.idempotency ? { idempotency: true } : {}),
  };
  return applyDecorators(
    SetMetadata(TRANSITION_METADATA, metadata),
    UseGuards(TransitionGuard),
    UseFilters(TransitionExceptionFilter),
    // Only routes that honour Idempotency-Key pay for the interceptor.
    ...(options.idempotency ? [UseInterceptors(IdempotencyInterceptor)] : []),
  );
}
