import { Injectable, type Type } from '@nestjs/common';
import { OnTransition, type OnTransitionFilter } from '../nest/outbox/on-transition.decorator.js';
import type { TransitionResource } from '../nest/definition/resource-definition.js';
import type { TransitionDelivery } from '../outbox/index.js';
import { TransitionCommitted } from './transition-committed.js';

/**
 * A provider class whose one `@OnTransition(resource, filter)` method hands each delivery, as a
 * `TransitionCommitted`, to `publish`. Its name (`<kind>(<resource>)`) is the outbox handler's
 * name, kept in outbox rows: stable across restarts and processes.
 */
export function bridgeClass(
  kind: string,
  resource: TransitionResource | string,
  filter: OnTransitionFilter | undefined,
  base: Type<{ publish(event: TransitionCommitted): Promise<unknown> }>,
): Type<unknown> {
  const name = typeof resource === 'string' ? resource : resource.resource;
  @Injectable()
  class Bridge extends base {
    @OnTransition(name, filter)
    async deliver(delivery: TransitionDelivery): Promise<void> {
      await this.publish(new TransitionCommitted(delivery.record, delivery.payload));
    }
  }
  Object.defineProperty(Bridge, 'name', { value: `${kind}(${name})` });
  return Bridge;
}
