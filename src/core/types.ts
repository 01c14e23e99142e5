import type { AnyStateMachine, EventFromLogic, StateValue } from 'xstate';

/**
 * A state as a database stores it: `'paid'`, a dotted path for nested states
 * (`'shipping.in_transit'`), or an XState state value object for parallel states
 * (`{ status: 'open', sla: 'within' }`).
 */
export type StoredState = string | { readonly [region: string]: StateValue };

/** What the validator needs to know about a resource: its stored state and, for guards, its context. */
export interface StateInput<TContext = unknown> {
  readonly state: StoredState;
  /** Defaults to the machine's own initial context when that is a plain object, else `{}`. */
  readonly context?: TContext;
}

/** An event type of machine `M`, or `string` for machines whose events are not typed. */
export type EventTypeOf<M extends AnyStateMachine> = EventFromLogic<M>['type'];

/** An event as callers send it: its type alone, or the event object with its payload. */
export type EventInput<M extends AnyStateMachine = AnyStateMachine> =
  | EventTypeOf<M>
  | EventFromLogic<M>
  | { readonly type: EventTypeOf<M>; readonly [key: string]: unknown };

/**
 * Why a transition was refused.
 * - `unknown-event`: no state of the machine ever accepts this event type.
 * - `no-transition`: neither the current state nor any of its ancestors handles the event.
 * - `final-state`: the machine is done (its top-level state is final); every event is refused.
 * - `guard-rejected`: transitions exist, but every guard on them refused (see `blockedBy`).
 * - `forbidden`: the state declares the event as forbidden (a transition with no target and no actions).
 * - `invalid-payload`: the event's payload fails the schema declared for it (see `issues`).
 */
export type RefusalReason =
  | 'unknown-event'
  | 'no-transition'
  | 'final-state'
  | 'guard-rejected'
  | 'forbidden'
  | 'invalid-payload';

/** One problem with an event payload, as data: zod's code, the path into the payload, a message. */
export interface PayloadIssue {
  readonly code: string;
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export interface AllowedTransition {
  readonly allowed: true;
  readonly event: string;
  readonly from: StoredState;
  /** The state after the whole macrostep, eventless (`always`) transitions included. */
  readonly to: StoredState;
  /** Roles declared (`meta.roles`) on the transition taken: a caller needs one of them. */
  readonly roles?: readonly string[];
}

export interface RefusedTransition {
  readonly allowed: false;
  readonly event: string;
  readonly from: StoredState;
  readonly reason: RefusalReason;
  /** The events that would be accepted from `from` now (payloads aside), in machine order. */
  readonly allowedEvents: readonly string[];
  /** Every guard that refused, by name, in evaluation order (with `guard-rejected`, and with `forbidden` when guards refused first). */
  readonly blockedBy?: readonly string[];
  /** With `invalid-payload`: what is wrong with the payload. */
  readonly issues?: readonly PayloadIssue[];
}

export type TransitionResult = AllowedTransition | RefusedTransition;

/** One line of `explain()`: an event of the machine and whether it is accepted now. */
export type EventExplanation =
  | {
      readonly event: string;
      readonly allowed: true;
      /** Where it leads; absent when that cannot be computed without the event's payload. */
      readonly to?: StoredState;
      /** Roles declared (`meta.roles`) on the transition it takes: a caller needs one of them. */
      readonly roles?: readonly string[];
    }
  | {
      readonly event: string;
      readonly allowed: false;
      readonly reason: RefusalReason;
      readonly blockedBy?: readonly string[];
    };

/** A schema for an event payload: any zod schema (or anything with zod's `safeParse`). */
export interface PayloadSchema {
  safeParse(data: unknown): {
    success: boolean;
    error?: { issues: ReadonlyArray<{ code: string; path: PropertyKey[]; message: string }> };
  };
}

export interface ValidatorOptions {
  /**
   * Payload schemas by event type. Merged over `setup({ schemas: { events } })` of the machine,
   * where a machine may declare them itself.
   */
  readonly payloads?: Readonly<Record<string, PayloadSchema>>;
  /** A name for messages ("Cannot SHIP order"); defaults to the machine id. */
  readonly name?: string;
}

/**
 * An event's transitions when no guard and no context decides them (`transitions`: from each
 * state that accepts it, where it leads; `roles`: what it needs, the same everywhere), or `why`
 * not. See `TransitionValidator.contextFree`.
 */
export type ContextFreeTransitions =
  | {
      readonly transitions: readonly { readonly from: StoredState; readonly to: StoredState }[];
      readonly roles: readonly string[];
    }
  | { readonly why: string };
