import { SetMetadata } from '@nestjs/common';
import type { AnyStateMachine } from 'xstate';
import type { EventTypeOf } from '../../core/index.js';
import type { TransitionResource } from '../definition/resource-definition.js';

/** Which committed transitions a handler takes: all of the resource's, or by event and states. */
export interface OnTransitionFilter<E extends string = string> {
  /**
   * One event or several. Default: every event. A fired `after` timer's event is its XState id,
   * as the log names it: `'xstate.after.PAYMENT_WINDOW.order.pending'`.
   */
  readonly event?: E | readonly E[];
  /** The state left (a path: `'paid'`, `'shipping.packed'`; a parent matches its children). */
  readonly from?: string | readonly string[];
  /** The state entered. */
  readonly to?: string | readonly string[];
}

/** What `@OnTransition()` records on a method. */
export interface OnTransitionMetadata {
  readonly resource: string;
  readonly events: readonly string[] | undefined;
  readonly from: readonly string[] | undefined;
  readonly to: readonly string[] | undefined;
}

export const ON_TRANSITION_METADATA = 'transition-guard:on-transition';

const list = <T extends string>(v: T | readonly T[] | undefined): readonly T[] | undefined =>
  v === undefined ? undefined : typeof v === 'string' ? [v] : v;

/**
 * Runs a provider's method for every committed transition of `resource` that matches, through
 * the transactional outbox: after the commit, at least once, with retries (see the README's
 * outbox section). The method gets a `TransitionDelivery`; throwing means "retry later".
 * Discovered at bootstrap; an event or a state the machine does not have stops the application.
 *
 * @example
 * @Injectable()
 * export class Notifier {
 *   @OnTransition(order, { event: ['PAY', 'SHIP', 'CANCEL'] })
 *   async notify(delivery: TransitionDelivery<EntityManager>) {
 *     await delivery.once((tx) => tx.insert(Notification, { orderId: delivery.record.resourceId, kind: delivery.record.event }));
 *   }
 * }
 */
export function OnTransition<M extends AnyStateMachine>(
  resource: TransitionResource<M>,
  filter?: OnTransitionFilter<EventTypeOf<M> | `xstate.after.${string}`>,
): MethodDecorator;
/** A resource by name: events and states are checked at bootstrap. */
export function OnTransition(resource: string, filter?: OnTransitionFilter): MethodDecorator;
export function OnTransition(
  resource: TransitionResource | string,
  filter: OnTransitionFilter = {},
): MethodDecorator {
  const metadata: OnTransitionMetadata = {
    resource: typeof resource === 'string' ? resource : resource.resource,
    events: list(filter.event),
    from: list(filter.from),
    to: list(filter.to),
  };
  return SetMetadata(ON_TRANSITION_METADATA, metadata);
}
