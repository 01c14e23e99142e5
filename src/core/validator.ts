import type { AnyStateMachine, ContextFrom, EventObject } from 'xstate';
import { ConfigurationCache, type Configuration } from './configuration.js';
import { MachineIndex } from './machine-index.js';
import { buildPlan, select, type Plan, type Selection } from './plan.js';
import {
  allowedEventsIn,
  contextOf,
  describeType,
  refusalOf,
  stateOf,
} from './validator-inputs.js';
import { collectPayloadSchemas, validatePayload } from './payload.js';
import { MAX_EVENT_TYPE_LENGTH } from './event-descriptor.js';
import { IllegalTransitionError, TargetEvaluationError } from './errors.js';
import { TransitionTarget } from './transition-target.js';
import { describeMachine, type MachineDescription } from './machine-description.js';
import type {
  AllowedTransition,
  ContextFreeTransitions,
  EventExplanation,
  EventInput,
  PayloadIssue,
  PayloadSchema,
  RefusalReason,
  RefusedTransition,
  StateInput,
  StoredState,
  TransitionResult,
  ValidatorOptions,
} from './types.js';

const NONE: readonly string[] = Object.freeze([]);

/**
 * A machine compiled for answering "from this stored state, with this context, is this event
 * legal, and where does it lead?" fast, exactly as XState would, and with the reason when not.
 * Create one per machine with {@link createValidator} and keep it: it caches what it learns.
 *
 * @example
 * const orders: TransitionValidator<typeof orderMachine> = createValidator(orderMachine);
 * orders.allowedEvents({ state: 'pending' }); // ['PAY', 'CANCEL']
 */
export class TransitionValidator<M extends AnyStateMachine = AnyStateMachine> {
  /** The name used in messages ("Cannot SHIP order"). */
  readonly name: string;
  /** The event types the machine declares, in document order. */
  readonly events: readonly string[];
  /** Every state of the machine as a dotted path. */
  readonly states: readonly string[];
  private readonly index: MachineIndex;
  private readonly configs: ConfigurationCache;
  private readonly payloads: Map<string, PayloadSchema>;
  private readonly target: TransitionTarget;
  private description: MachineDescription | undefined;

  constructor(
    readonly machine: M,
    options: ValidatorOptions = {},
  ) {
    this.index = new MachineIndex(machine);
    this.configs = new ConfigurationCache(this.index);
    this.payloads = collectPayloadSchemas(machine, options.payloads);
    this.target = new TransitionTarget(machine, this.index.dynamicTarget);
    this.name = options.name ?? machine.id;
    this.events = this.index.events;
    this.states = this.index.statePaths;
  }

  /**
   * Checks one event against a stored state. Never throws for a refused or malformed event; throws
   * `UnknownStateError` for a stored state the machine does not have (a server-side data problem).
   *
   * @example
   * const v = createValidator(orderMachine);
   * v.check({ state: 'cancelled' }, 'SHIP');
   * // { allowed: false, event: 'SHIP', from: 'cancelled', reason: 'final-state', allowedEvents: [] }
   */
  check(input: StateInput<ContextFrom<M>>, event: EventInput<M>): TransitionResult {
    const config = this.configs.resolve(stateOf(input));
    const context = contextOf(input, this.index.defaultContext);
    let type: unknown = event;
    let object: EventObject | undefined;
    if (event !== null && typeof event === 'object') {
      object = event as EventObject;
      // Only an own `type`: nothing is ever found through a prototype.
      type = Object.hasOwn(object, 'type') ? object.type : undefined;
    }
    if (typeof type !== 'string') return this.unknownEvent(config, context, describeType(type));
    const plan = this.planFor(config, type);
    if (!plan) return this.unknownEvent(config, context, describeType(type));
    // Order of checks: unknown event, final state, no transition at all (structural, no guard
    // consulted), payload schema (so that guards only ever see valid payloads), then guards.
    if (plan.early) return plan.early;
    if (config.done || plan.empty) {
      const reason = config.done ? 'final-state' : 'no-transition';
      const result = this.refuse(config, context, type, reason);
      if (config.done || config.staticAllowed) plan.early = result;
      return result;
    }
    if (plan.schema) {
      const issues = validatePayload(plan.schema, object);
      if (issues) return this.refuse(config, context, type, 'invalid-payload', undefined, issues);
    }
    if (plan.fixed) return plan.fixed;
    return this.decide(plan, config, context, object ?? plan.bareEvent);
  }

  /**
   * Whether the event would be accepted: `check(...).allowed`.
   *
   * @example
   * createValidator(orderMachine).can({ state: 'paid', context: { paid: 10, total: 10 } }, 'SHIP'); // true
   */
  can(input: StateInput<ContextFrom<M>>, event: EventInput<M>): boolean {
    return this.check(input, event).allowed;
  }

  /**
   * Checks like {@link check} and returns the allowed transition, or throws
   * `IllegalTransitionError` carrying the refusal ("Cannot SHIP order: state 'cancelled' is final").
   *
   * @example
   * const { to } = createValidator(orderMachine).assert({ state: 'pending' }, 'CANCEL'); // 'cancelled'
   */
  assert(input: StateInput<ContextFrom<M>>, event: EventInput<M>): AllowedTransition {
    const result = this.check(input, event);
    if (!result.allowed) throw new IllegalTransitionError(result, this.name);
    return result;
  }

  /**
   * The events accepted from this state now, in machine order (payloads aside): what a UI enables.
   *
   * @example
   * createValidator(orderMachine).allowedEvents({ state: 'pending' }); // ['PAY', 'CANCEL']
   */
  allowedEvents(input: StateInput<ContextFrom<M>>): readonly string[] {
    const config = this.configs.resolve(stateOf(input));
    return this.allowedFor(config, contextOf(input, this.index.defaultContext));
  }

  /**
   * Every event of the machine with whether it is accepted now and, when not, why: what a UI
   * greys buttons out with. Guards see the event without payload; a guard that throws then counts
   * as refusing.
   *
   * @example
   * createValidator(orderMachine).explain({ state: 'cancelled' });
   * // [{ event: 'PAY', allowed: false, reason: 'final-state' }, ...]
   */
  explain(input: StateInput<ContextFrom<M>>): EventExplanation[] {
    const config = this.configs.resolve(stateOf(input));
    const context = contextOf(input, this.index.defaultContext);
    return this.events.map((type): EventExplanation => {
      const plan = this.declaredPlan(config, type);
      if (config.done) return { event: type, allowed: false, reason: 'final-state' };
      const sel = select(plan, config, context, plan.bareEvent, true);
      if (sel.selected.some((t) => !t.inert)) {
        // Without a payload the target may be unknown (see TransitionTarget): then no `to`.
        const to = this.allowedOrUnknown(plan, config, sel, context, plan.bareEvent)?.to;
        const roles = [...new Set(sel.selected.flatMap((t) => t.roles ?? []))];
        return {
          event: type,
          allowed: true,
          ...(to === undefined ? {} : { to }),
          ...(roles.length ? { roles } : {}),
        };
      }
      const reason = refusalOf(sel);
      return sel.blocked
        ? { event: type, allowed: false, reason, blockedBy: sel.blocked }
        : { event: type, allowed: false, reason };
    });
  }

  /**
   * The canonical stored form of a state: `'shipping'` becomes `'shipping.preparing'` when that is
   * its initial child. Throws `UnknownStateError` for a state the machine does not have.
   */
  normalizeState(state: StoredState): StoredState {
    return this.configs.resolve(state).from;
  }

  /** Whether some state of the machine accepts this event type. */
  hasEvent(type: string): boolean {
    return typeof type === 'string' && this.index.isKnownEvent(type);
  }

  /**
   * The roles an event needs whatever the state: when every transition of the event declares
   * `meta.roles`, their union (a caller needs one of them); else empty. Roles of the transition
   * actually taken are on the allowed result (`roles`).
   *
   * @example
   * createValidator(articleMachine).rolesFor('APPROVE'); // ['editor']
   */
  rolesFor(type: string): readonly string[] {
    return typeof type === 'string' ? this.index.rolesAlwaysRequired(type) : NONE;
  }

  /**
   * The machine as data: states, events, transitions (with guard names and roles) and payload
   * JSON Schemas. What `GET /machines/:id` serves.
   */
  describe(): MachineDescription {
    return (this.description ??= describeMachine(this.index, this.payloads));
  }

  /** The payload schema declared for an event type, if any. */
  payloadSchema(type: string): PayloadSchema | undefined {
    return this.payloads.get(type);
  }

  /**
   * The event's transitions when no guard and no context decides them: from each state that
   * accepts it, where it leads (`transitions`), and the roles it needs (the same from every
   * state). Then a store can commit it in one conditional statement (`WHERE state IN (...)`)
   * without reading the row first. Otherwise `why`: the guard that decides it, or what else does.
   *
   * @example
   * createValidator(orderMachine).contextFree('CANCEL');
   * // { transitions: [{ from: 'pending', to: 'cancelled' }, { from: 'paid', to: 'cancelled' }], roles: [] }
   * createValidator(orderMachine).contextFree('SHIP'); // { why: "guard 'paidInFull' decides it in state 'paid'" }
   */
  contextFree(type: string): ContextFreeTransitions {
    if (!this.hasEvent(type) || !this.index.isDeclaredEvent(type)) {
      return { why: `the machine declares no event '${type}'` };
    }
    if (this.index.dynamicTarget) {
      return {
        why: 'guarded eventless transitions or raised events make where it leads depend on context',
      };
    }
    const transitions: { from: StoredState; to: StoredState }[] = [];
    let roles: readonly string[] | undefined;
    for (const path of this.states) {
      const config = this.configs.resolve(path);
      if (typeof config.from !== 'string') return { why: 'the machine has parallel states' };
      // A compound state is stored as its initial child: that one is visited on its own.
      if (config.from !== path || config.done) continue;
      const plan = this.declaredPlan(config, type);
      if (plan.empty) continue;
      const first = plan.chain?.[0];
      if (!first) return { why: 'the machine has parallel states' };
      if (first.guard) return { why: `guard '${first.guard.name}' decides it in state '${path}'` };
      if (first.inert) continue;
      const to = this.target.of(config.value, this.index.defaultContext, plan.bareEvent);
      if (to === undefined) return { why: `where it leads from '${path}' cannot be computed` };
      const own = first.roles ?? NONE;
      if (roles && roles.join() !== own.join()) {
        return { why: `it needs different roles from different states` };
      }
      roles = own;
      transitions.push({ from: config.from, to });
    }
    return { transitions, roles: roles ?? NONE };
  }

  /**
   * The issues of an event's payload against its schema, or undefined when it is valid (or the
   * event has no schema). What `check` answers `invalid-payload` with, without a state.
   */
  payloadIssues(event: EventObject): PayloadIssue[] | undefined {
    const schema = this.payloads.get(event.type);
    return schema ? validatePayload(schema, event) : undefined;
  }

  /** The plan of an event the machine declares (always there). */
  private declaredPlan(config: Configuration, type: string): Plan {
    const plan = this.planFor(config, type);
    if (!plan) throw new Error(`No plan for the declared event '${type}' (a bug in the validator)`);
    return plan;
  }

  private planFor(config: Configuration, type: string): Plan | undefined {
    const cached = config.plans.get(type);
    if (cached) return cached;
    if (type.length > MAX_EVENT_TYPE_LENGTH || !this.index.isKnownEvent(type)) return undefined;
    const plan = buildPlan(config, type, this.payloads.get(type));
    // Only declared types are cached: a wildcard machine must not grow a cache per client string.
    if (this.index.isDeclaredEvent(type)) config.plans.set(type, plan);
    return plan;
  }

  private decide(
    plan: Plan,
    config: Configuration,
    context: unknown,
    event: EventObject,
  ): TransitionResult {
    const sel = select(plan, config, context, event, false);
    if (sel.selected.some((t) => !t.inert)) {
      const result = this.allowedResult(plan, config, sel, context, event);
      if (!sel.guardsRan && !this.index.dynamicTarget) plan.fixed = result;
      return result;
    }
    const result = this.refuse(config, context, plan.type, refusalOf(sel), sel.blocked);
    if (!sel.guardsRan && config.staticAllowed) plan.fixed = result;
    return result;
  }

  private allowedResult(
    plan: Plan,
    config: Configuration,
    sel: Selection,
    context: unknown,
    event: EventObject,
  ): AllowedTransition {
    const result = this.allowedOrUnknown(plan, config, sel, context, event);
    if (!result) throw new TargetEvaluationError(plan.type, config.from);
    return result;
  }

  /** The allowed result, or undefined when where it leads cannot be computed. */
  private allowedOrUnknown(
    plan: Plan,
    config: Configuration,
    sel: Selection,
    context: unknown,
    event: EventObject,
  ): AllowedTransition | undefined {
    const memo = !this.index.dynamicTarget;
    const key =
      sel.selected.length === 1
        ? String(sel.selected[0].id)
        : sel.selected.map((t) => t.id).join(',');
    if (memo) {
      const hit = plan.allowed.get(key);
      if (hit) return hit as AllowedTransition;
    }
    const to = this.target.of(config.value, context, event);
    if (to === undefined) return undefined;
    const roles = [...new Set(sel.selected.flatMap((t) => t.roles ?? []))];
    const result: AllowedTransition = Object.freeze({
      allowed: true,
      event: plan.type,
      from: config.from,
      to,
      ...(roles.length ? { roles } : {}),
    });
    if (memo) plan.allowed.set(key, result);
    return result;
  }

  private allowedFor(config: Configuration, context: unknown): readonly string[] {
    return allowedEventsIn(config, context, this.events, (type) => this.declaredPlan(config, type));
  }

  private unknownEvent(config: Configuration, context: unknown, type: string): RefusedTransition {
    return this.refuse(config, context, type, 'unknown-event');
  }

  private refuse(
    config: Configuration,
    context: unknown,
    event: string,
    reason: RefusalReason,
    blockedBy?: readonly string[],
    issues?: RefusedTransition['issues'],
  ): RefusedTransition {
    const result: RefusedTransition = {
      allowed: false,
      event,
      from: config.from,
      reason,
      allowedEvents: this.allowedFor(config, context),
      ...(blockedBy ? { blockedBy } : {}),
      ...(issues ? { issues } : {}),
    };
    return Object.freeze(result);
  }
}

/**
 * Compiles an XState v5 machine (from `createMachine` or `setup().createMachine`) into a
 * validator. Compile once, at startup, and keep it.
 *
 * @example
 * import { createValidator } from 'nestjs-transition-guard/core';
 * const orders = createValidator(orderMachine);
 * orders.check({ state: 'cancelled' }, 'SHIP').allowed; // false
 */
export function createValidator<M extends AnyStateMachine>(
  machine: M,
  options?: ValidatorOptions,
): TransitionValidator<M> {
  return new TransitionValidator(machine, options);
}
