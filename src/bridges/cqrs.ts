/**
 * `nestjs-transition-guard/cqrs`: committed transitions published on the `@nestjs/cqrs`
 * EventBus, after the commit, through the transactional outbox.
 *
 * @module nestjs-transition-guard/cqrs
 */
import { Inject, Injectable, type Type } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import type { OnTransitionFilter } from '../nest/outbox/on-transition.decorator.js';
import type { TransitionResource } from '../nest/definition/resource-definition.js';
import { bridgeClass } from './bridge-class.js';
import { TransitionCommitted } from './transition-committed.js';

export { TransitionCommitted, transitionEventName } from './transition-committed.js';

@Injectable()
class EventBusPublisher {
  constructor(@Inject(EventBus) private readonly bus: EventBus) {}

  publish(event: TransitionCommitted): Promise<unknown> {
    return Promise.resolve(this.bus.publish(event));
  }
}

/**
 * A provider that publishes a `TransitionCommitted` on the CQRS `EventBus` for every committed
 * transition of `resource` (matching `filter`), once the commit is durable: through the
 * transactional outbox, at least once. The EventBus runs its `@EventsHandler(TransitionCommitted)`
 * handlers without waiting for them and reports their errors to its `UnhandledExceptionBus`,
 * not to the publisher: a delivery is done once published, and a failing handler is not retried
 * by the outbox (use `@OnTransition` for effects that must be retried). Add it to a module's
 * providers beside `CqrsModule.forRoot()`.
 *
 * @example
 * @Module({ imports: [CqrsModule.forRoot()], providers: [cqrsBridge(order), PaidHandler] })
 * export class OrdersModule {}
 *
 * @EventsHandler(TransitionCommitted)
 * export class PaidHandler implements IEventHandler<TransitionCommitted> {
 *   handle(event: TransitionCommitted) { if (event.record.event === 'PAY') ... }
 * }
 */
export function cqrsBridge(
  resource: TransitionResource | string,
  filter?: OnTransitionFilter,
): Type<unknown> {
  return bridgeClass('CqrsBridge', resource, filter, EventBusPublisher);
}
