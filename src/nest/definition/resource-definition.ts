import type { Type } from '@nestjs/common';
import type { AnyStateMachine, ContextFrom } from 'xstate';
import type { PayloadSchema } from '../../core/index.js';
import type { TransitionStore } from '../../store/index.js';
import type { StateLoader } from './state-loader.interface.js';

/** Payload schemas by event type. */
export type PayloadSchemas = Readonly<Record<string, PayloadSchema>>;

/**
 * A resource whose transitions the guard checks: its name, its machine, and where it lives (a
 * store, which loads and commits; or a loader, for a check-only resource).
 */
export interface TransitionResource<
  M extends AnyStateMachine = AnyStateMachine,
  TStore extends TransitionStore<ContextFrom<M>, object> = TransitionStore<ContextFrom<M>, object>,
  TPayloads extends PayloadSchemas = PayloadSchemas,
> {
  /** The name `@Transition()` uses and error bodies show ('order'). */
  readonly resource: string;
  readonly machine: M;
  /**
   * An injectable class implementing `TransitionStore`: the guard loads through it and
   * `TransitionService.commit()` writes through it with compare-and-set.
   */
  readonly store?: Type<TStore>;
  /** An injectable class implementing `StateLoader`, for a check-only resource (no `store`). */
  readonly loader?: Type<StateLoader>;
  /**
   * How `TransitionService.commit()` writes by default: `'optimistic'` (compare-and-set, lost
   * races retried) or `'pessimistic'` (the row locked first: for a hot row, where concurrent
   * transitions should queue rather than answer 409 stale-state). Default optimistic.
   */
  readonly locking?: 'optimistic' | 'pessimistic';
  /** Payload schemas by event type, over those the machine declares; they type the payloads too. */
  readonly payloads?: TPayloads;
}

/**
 * Declares a resource once, typed by its machine and store: `@Transition(order, 'SHIP')` then
 * type-checks the event name against the machine's events (machines typed with `setup({ types })`),
 * and `CurrentTransition<typeof order, 'SHIP'>` types the payload, the context and what
 * `commit()` accepts.
 *
 * @example
 * export const order = defineResource({ resource: 'order', machine: orderMachine, store: OrderStore, payloads: orderPayloads });
 * TransitionGuardModule.forFeature([order]);
 */
export function defineResource<
  M extends AnyStateMachine,
  TStore extends TransitionStore<ContextFrom<M>, object> = TransitionStore<ContextFrom<M>, object>,
  // No schemas given: no event has one (keyof is never), so payloads come from the machine's types.
  // eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type
  TPayloads extends PayloadSchemas = Record<never, PayloadSchema>,
>(resource: TransitionResource<M, TStore, TPayloads>): TransitionResource<M, TStore, TPayloads> {
  return resource;
}
