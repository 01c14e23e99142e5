import type { AnyStateMachine, ContextFrom, EventFromLogic } from 'xstate';
import type { StoredState } from '../../core/index.js';
import type { TransitionStore } from '../../store/index.js';
import type { TransitionAudit } from './audit-fields.js';
import type { TransitionResource } from './resource-definition.js';

declare const changesOf: unique symbol;

/**
 * What the guard loaded and checked, handed to the handler (`@CurrentTransition()`) so that it
 * never loads the resource twice, and to `TransitionService.commit()`.
 */
export interface CheckedTransition<
  TContext = unknown,
  TPayload = Record<string, unknown>,
  TChanges extends object = Record<string, unknown>,
  TEvent extends string = string,
> {
  readonly resource: string;
  readonly id: string;
  readonly event: TEvent;
  readonly from: StoredState;
  readonly to: StoredState;
  /** The event's payload: the body without `type`, valid against the event's schema when it has one. */
  readonly payload: TPayload;
  readonly context: TContext;
  /** The row's version when the store keeps one. */
  readonly version: number | undefined;
  /** Who asked, by the `getActor` option (for the transition log); `system:<name>` from `send()`. */
  readonly actor: string | null;
  /** The audit fields the route took from the body (`audit: true`), for the transition log. */
  readonly audit?: TransitionAudit;
  /** The request's correlation id (`getCorrelationId`), for the transition log. */
  readonly correlationId?: string | null;
  /** Type only: what `commit()` accepts as changes for this resource's store. */
  readonly [changesOf]?: TChanges;
}

/**
 * The payload of event `E`: from its schema when the resource gives one (what its `safeParse`
 * gives on success: zod's output type), else from the machine's event type.
 */
export type PayloadOf<M extends AnyStateMachine, P, E extends string> = string extends E
  ? Record<string, unknown>
  : E extends keyof P
    ? P[E] extends { safeParse(data: unknown): infer R }
      ? R extends { success: true; data: infer D }
        ? D
        : never
      : Record<string, unknown>
    : Omit<Extract<EventFromLogic<M>, { type: E }>, 'type'>;

/** The changes a store accepts (`Partial<Entity>` for the TypeORM store). */
export type ChangesOf<S> =
  S extends TransitionStore<unknown, infer C> ? C : Record<string, unknown>;

/** The checked transition of resource `R` (or of context `R`) and event `E`: see `CurrentTransition`. */
export type TransitionOf<R = unknown, E extends string = string> =
  R extends TransitionResource<infer M, infer S, infer P>
    ? CheckedTransition<ContextFrom<M>, PayloadOf<M, P, E>, ChangesOf<S>, E>
    : CheckedTransition<R>;
