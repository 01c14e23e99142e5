import type { Type } from '@nestjs/common';
import type { AnyStateMachine } from 'xstate';
import type { PayloadSchema } from '../core/index.js';
import type { StateLoader } from './state-loader.interface.js';
import type { TransitionStore } from '../store/index.js';

/** A resource whose transitions the guard checks: its name, its machine, and how to load it. */
export interface TransitionResource<M extends AnyStateMachine = AnyStateMachine> {
  /** The name `@Transition()` uses and error bodies show ('order'). */
  readonly resource: string;
  readonly machine: M;
  /** An injectable class implementing `StateLoader`. Not needed when `store` is given. */
  readonly loader?: Type<StateLoader>;
  /**
   * An injectable class implementing `TransitionStore`: the guard loads through it and
   * `TransitionService.commit()` writes through it with compare-and-set.
   */
  readonly store?: Type<TransitionStore<any, any>>;
  /** Payload schemas by event type, over those the machine declares. */
  readonly payloads?: Readonly<Record<string, PayloadSchema>>;
}

/**
 * Declares a resource once, typed by its machine, so that `@Transition(order, 'SHIP')` type-checks
 * the event name against the machine's events (machines typed with `setup({ types })`).
 *
 * @example
 * export const order = defineResource({ resource: 'order', machine: orderMachine, store: OrderStore });
 * TransitionGuardModule.forFeature([order]);
 */
export function defineResource<M extends AnyStateMachine>(
  resource: TransitionResource<M>,
): TransitionResource<M> {
  return resource;
}
