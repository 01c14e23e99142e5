/**
 * `nestjs-transition-guard/event-emitter`: committed transitions published to
 * `@nestjs/event-emitter`, after the commit, through the transactional outbox.
 *
 * @module nestjs-transition-guard/event-emitter
 */
import { Inject, Injectable, type Type } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { OnTransitionFilter } from '../nest/outbox/on-transition.decorator.js';
import type { TransitionResource } from '../nest/definition/resource-definition.js';
import { bridgeClass } from './bridge-class.js';
import { TransitionCommitted } from './transition-committed.js';

export { TransitionCommitted, transitionEventName } from './transition-committed.js';

@Injectable()
class EventEmitterPublisher {
  constructor(@Inject(EventEmitter2) private readonly emitter: EventEmitter2) {}

  /** Emits and waits for the listeners: one that throws fails the delivery (retried later). */
  async publish(event: TransitionCommitted): Promise<void> {
    await this.emitter.emitAsync(event.name, event);
  }
}

/**
 * A provider that emits `transition.<resource>.<event>` (a `TransitionCommitted`) on the app's
 * `EventEmitter2` for every committed transition of `resource` (matching `filter`), once the
 * commit is durable: through the transactional outbox, at least once, with its retries and dead
 * letter. Listeners run with `emitAsync` and are awaited. `@OnEvent` swallows a listener's error
 * unless declared with `{ suppressErrors: false }`; so declared, a listener that throws makes the
 * delivery fail and be retried (every listener of the event runs again), so key effects on
 * `event.transitionId`. Add it to a module's providers beside `EventEmitterModule.forRoot()`.
 *
 * @example
 * @Module({ imports: [EventEmitterModule.forRoot()], providers: [eventEmitterBridge(order)] })
 * export class OrdersModule {}
 *
 * @OnEvent('transition.order.PAY', { suppressErrors: false })
 * async paid(event: TransitionCommitted) { ... }
 */
export function eventEmitterBridge(
  resource: TransitionResource | string,
  filter?: OnTransitionFilter,
): Type<unknown> {
  return bridgeClass('EventEmitterBridge', resource, filter, EventEmitterPublisher);
}
