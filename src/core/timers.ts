import {
  initialTransition,
  transition,
  type AnyStateMachine,
  type AnyStateNode,
  type StateValue,
} from 'xstate';
import { matchesEventDescriptor } from './event-descriptor.js';
import { allNodes } from './machine-index.js';
import { toStateValue, toStoredState } from './state-value.js';
import { withoutActions } from './transition-target.js';
import type { StoredState } from './types.js';

/**
 * A timer a transition arms: XState's id of the `after` transition (`xstate.after.<delay>.<state
 * id>`, also the event it sends when due) and its delay, resolved with the commit's context.
 */
export interface ArmedTimer {
  readonly timer: string;
  readonly delayMs: number;
}

/**
 * What a transition does to a resource's timers, in this order: the timers of the states it
 * left are disarmed (their rows deleted), those of the states it entered are armed. A state left
 * and entered again (`reenter: true`) has its timers in both: its deadline starts again.
 */
export interface TimerChange {
  readonly disarm: readonly string[];
  readonly arm: readonly ArmedTimer[];
}

/**
 * @internal The timers a change removes before it arms: those it disarms and those it arms again
 * (a re-armed timer replaces its row), each once.
 */
export function replacedTimers(change: TimerChange): string[] {
  return [...new Set([...change.disarm, ...change.arm.map((a) => a.timer)])];
}

/**
 * @internal The timers a change disarms without arming them again: what a store that replaces a
 * re-armed timer in its INSERT (an upsert) deletes first.
 */
export function disarmedOnly(change: TimerChange): string[] {
  const armed = new Set(change.arm.map((a) => a.timer));
  return [...new Set(change.disarm)].filter((t) => !armed.has(t));
}

const TIMER_PREFIX = 'xstate.after.';

/**
 * Whether an event type is a timer's (`xstate.after.*`): sent by the firing loop when the timer is
 * due, never accepted from a caller.
 *
 * @example
 * isTimerEvent('xstate.after.PAYMENT_WINDOW.order.pending'); // true
 */
export const isTimerEvent = (type: string): boolean => type.startsWith(TIMER_PREFIX);

/**
 * The `after` transitions of a machine as durable timers: which timers a committed transition
 * arms and disarms (XState's own `transition()` says it: its `xstate.raise` actions with a delay,
 * its `xstate.cancel` actions), and what a due timer does when it fires. XState runs only for a
 * transition from or to a state that has (or is inside a state that has) `after` transitions.
 *
 * @example
 * const timers = new MachineTimers(orderMachine);
 * timers.change('pending', { total: 100, paid: 0 }, { type: 'PAY', amount: 100 });
 * // { disarm: ['xstate.after.PAYMENT_WINDOW.order.pending'], arm: [] }
 * timers.fire('pending', { total: 100, paid: 0 }, 'xstate.after.PAYMENT_WINDOW.order.pending');
 * // { to: 'expired' }
 */
export class MachineTimers {
  /** Whether some state of the machine has `after` transitions. */
  readonly declared: boolean;
  /** The timers' ids, by the state that arms them (its dotted path; '' for the root). */
  readonly byState: ReadonlyMap<string, readonly string[]>;
  private readonly timed = new Map<string, boolean>();
  private actionFree: AnyStateMachine | undefined;
  /** The state nodes by dotted path ('' for the root). */
  private readonly nodes = new Map<string, AnyStateNode>();
  /** No eventless transitions, entry, exit or initial actions anywhere (see `decidedByState`). */
  private readonly plain: boolean;
  /** Each timer's delay as the machine declares it: milliseconds, or a named delay. */
  private readonly delays = new Map<string, unknown>();

  constructor(private readonly machine: AnyStateMachine) {
    const byState = new Map<string, string[]>();
    let plain = true;
    for (const node of allNodes(machine.root)) {
      this.nodes.set(node.path.join('.'), node);
      const initial = node.initial as { actions?: readonly unknown[] } | undefined;
      const own = [...node.entry, ...node.exit].filter((a) => !isTimerAction(a));
      if (node.always?.length || own.length || initial?.actions?.length) plain = false;
      const after = (node as { after?: readonly { eventType: string; delay?: unknown }[] }).after;
      for (const t of after ?? []) this.delays.set(t.eventType, t.delay);
      const ids = [...new Set((after ?? []).map((t) => t.eventType))];
      if (ids.length) byState.set(node.path.join('.'), ids);
    }
    this.byState = byState;
    this.declared = byState.size > 0;
    this.plain = plain;
    const named = machine.implementations.delays as Record<string, unknown>;
    this.readsContext = [...this.delays.values()].some(
      (d) => typeof d === 'string' && typeof named[d] === 'function',
    );
  }

  /** Whether a delay is a function (of context): then arming a timer needs the row's context. */
  readonly readsContext: boolean;

  /**
   * The timers `event` arms and disarms from `state` with `context` (delays that read context see
   * this one), or undefined when it touches none: no state it leaves or enters has timers.
   * `to`, when known, spares XState's run for a transition between states without timers.
   */
  change(
    state: StoredState,
    context: unknown,
    event: { readonly type: string; readonly [key: string]: unknown },
    to?: StoredState,
  ): TimerChange | undefined {
    if (!this.declared) return undefined;
    if (to !== undefined && !this.hasTimers(state) && !this.hasTimers(to)) return undefined;
    const key = `${encodeKey(state)}\u0000${event.type}`;
    const shape = this.shapes.get(key);
    if (shape) return this.withDelays(shape, context, event);
    const change = this.run(state, context, event);
    if (this.shapes.size < 10_000 && this.decidedByState(state, event.type)) {
      this.shapes.set(key, {
        disarm: change?.disarm ?? [],
        arm: change?.arm.map((a) => a.timer) ?? [],
      });
    }
    return change;
  }

  /**
   * XState's answer, memoised as a shape (which timers, not their delays) when nothing but the
   * state and the event type decides it: `decidedByState`.
   */
  private readonly shapes = new Map<
    string,
    { disarm: readonly string[]; arm: readonly string[] }
  >();

  /** A memoised shape with the delays of this commit (a named delay sees its context and event). */
  private withDelays(
    shape: { disarm: readonly string[]; arm: readonly string[] },
    context: unknown,
    event: { readonly type: string },
  ): TimerChange | undefined {
    if (!shape.disarm.length && !shape.arm.length) return undefined;
    const arm: ArmedTimer[] = [];
    for (const timer of shape.arm) {
      const delayMs = this.delayOf(timer, context, event);
      if (delayMs !== undefined) arm.push({ timer, delayMs: Math.max(0, delayMs) });
    }
    return { disarm: shape.disarm, arm };
  }

  /**
   * Whether the timers an event arms and disarms from `state` depend on the state and the event
   * type alone: the machine has no eventless transitions, no entry or exit actions (which could
   * raise events or assign the context a delay reads), and every transition that could take the
   * event from one of the active states is unguarded and without actions.
   */
  private decidedByState(state: StoredState, type: string): boolean {
    if (!this.plain) return false;
    for (const path of activePaths(toStateValue(state))) {
      const node = this.nodes.get(path);
      if (!node) return false;
      for (const [descriptor, defs] of node.transitions) {
        if (!matchesEventDescriptor(type, descriptor)) continue;
        for (const def of defs as readonly { guard?: unknown; actions: readonly unknown[] }[]) {
          if (def.guard !== undefined || def.actions.length > 0) return false;
        }
      }
    }
    return true;
  }

  private run(
    state: StoredState,
    context: unknown,
    event: { readonly type: string; readonly [key: string]: unknown },
  ): TimerChange | undefined {
    const value = toStateValue(state);
    const run = (machine: AnyStateMachine) =>
      transition(machine, machine.resolveState({ value, context: this.contextOr(context) }), event);
    let actions: readonly unknown[];
    try {
      [, actions] = run(this.machine);
    } catch {
      // The machine's own actions could not run on this context (an assign reading a column the
      // store does not load): XState's timers do not depend on them.
      [, actions] = run((this.actionFree ??= withoutActions(this.machine)));
    }
    return changeOf(actions);
  }

  /**
   * The timers a resource created in `state` (inserted by the app, not by a transition) has from
   * the start: those of `state` and its ancestors (every region's), with delays read from
   * `context`. Undefined when it has none.
   */
  initial(state: StoredState, context: unknown): TimerChange | undefined {
    if (!this.hasTimers(state)) return undefined;
    const arm: ArmedTimer[] = [];
    for (const path of activePaths(toStateValue(state))) {
      for (const timer of this.byState.get(path) ?? []) {
        const delayMs = this.delayOf(timer, context);
        if (delayMs !== undefined) arm.push({ timer, delayMs });
      }
    }
    return { disarm: [], arm };
  }

  /** The state a new resource starts in: the machine's initial state value, stored. */
  initialState(): StoredState {
    const initial = (m: AnyStateMachine) => initialTransition(m)[0].value as StateValue;
    try {
      return toStoredState(initial(this.machine));
    } catch {
      return toStoredState(initial((this.actionFree ??= withoutActions(this.machine))));
    }
  }

  /**
   * What a due timer does from `state` with `context`: where it leads (`to`), or undefined when
   * it takes no transition (its state was left, or its guard refuses now).
   */
  fire(state: StoredState, context: unknown, timer: string): { to: StoredState } | undefined {
    if (!isTimerEvent(timer)) return undefined;
    const snapshot = this.machine.resolveState({
      value: toStateValue(state),
      context: this.contextOr(context),
    });
    const event = { type: timer };
    if (this.machine.getTransitionData(snapshot, event).length === 0) return undefined;
    let value: StateValue;
    try {
      value = transition(this.machine, snapshot, event)[0].value as StateValue;
    } catch {
      // The machine's actions could not run on this context: where it goes does not depend on them.
      const machine = (this.actionFree ??= withoutActions(this.machine));
      const context: unknown = snapshot.context;
      const bare = machine.resolveState({ value: snapshot.value as StateValue, context });
      value = transition(machine, bare, event)[0].value as StateValue;
    }
    return { to: toStoredState(value) };
  }

  private contextOr(context: unknown): unknown {
    if (context !== null && typeof context === 'object') return context;
    const initial = (this.machine.config as { context?: unknown }).context;
    return initial !== null && typeof initial === 'object' ? initial : {};
  }

  /** Whether `state` or one of its ancestors (any region's, when parallel) has timers. */
  hasTimers(state: StoredState): boolean {
    const key = encodeKey(state);
    let known = this.timed.get(key);
    if (known === undefined) {
      known = activePaths(toStateValue(state)).some((p) => this.byState.has(p));
      if (this.timed.size < 10_000) this.timed.set(key, known);
    }
    return known;
  }

  /**
   * Whether a timer of `state` or one of its ancestors has a delay that is a function (of
   * context): entering it needs the row's context.
   */
  delayReadsContext(state: StoredState): boolean {
    if (!this.readsContext) return false;
    const named = this.machine.implementations.delays as Record<string, unknown>;
    return activePaths(toStateValue(state)).some((p) =>
      (this.byState.get(p) ?? []).some((timer) => {
        const delay = this.delays.get(timer);
        return typeof delay === 'string' && typeof named[delay] === 'function';
      }),
    );
  }

  /** A timer's delay with `context`: a number, or a named delay of the machine's `delays`. */
  private delayOf(
    timer: string,
    context: unknown,
    event: { readonly type: string } = { type: 'xstate.init' },
  ): number | undefined {
    const delay = this.delays.get(timer);
    if (typeof delay === 'number') return delay;
    if (typeof delay !== 'string') return undefined;
    const named = (this.machine.implementations.delays as Record<string, unknown>)[delay];
    if (typeof named === 'number') return named;
    if (typeof named === 'function') {
      const value: unknown = (named as (a: unknown, p: unknown) => unknown)(
        { context: this.contextOr(context), event },
        undefined,
      );
      return typeof value === 'number' ? value : undefined;
    }
    return undefined;
  }
}

/** XState's own entry and exit actions of an `after`: the raise of its event, its cancel. */
function isTimerAction(action: unknown): boolean {
  if (typeof action !== 'function') return false;
  const a = action as { type?: unknown; id?: unknown; sendId?: unknown };
  const id = a.type === 'xstate.raise' ? a.id : a.type === 'xstate.cancel' ? a.sendId : undefined;
  return typeof id === 'string' && isTimerEvent(id);
}

/** The timers XState's actions arm (`xstate.raise` with a delay) and cancel, or undefined for none. */
function changeOf(actions: readonly unknown[]): TimerChange | undefined {
  const disarm: string[] = [];
  const arm = new Map<string, ArmedTimer>();
  for (const action of actions as readonly {
    type?: string;
    params?: { id?: unknown; delay?: unknown; sendId?: unknown };
  }[]) {
    const p = action.params;
    if (
      action.type === 'xstate.cancel' &&
      typeof p?.sendId === 'string' &&
      isTimerEvent(p.sendId)
    ) {
      disarm.push(p.sendId);
      arm.delete(p.sendId);
    } else if (
      action.type === 'xstate.raise' &&
      typeof p?.id === 'string' &&
      isTimerEvent(p.id) &&
      typeof p.delay === 'number'
    ) {
      arm.set(p.id, { timer: p.id, delayMs: Math.max(0, p.delay) });
    }
  }
  return disarm.length || arm.size ? { disarm, arm: [...arm.values()] } : undefined;
}

/** The dotted paths of every state active in `value`, ancestors included ('' is the root). */
function activePaths(value: StateValue, prefix = ''): string[] {
  const out = [prefix];
  if (typeof value === 'string') {
    const parts = value.split('.');
    let path = prefix;
    for (const part of parts) {
      path = path ? `${path}.${part}` : part;
      out.push(path);
    }
    return out;
  }
  for (const [key, child] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    out.push(...activePaths(child as StateValue, path).filter((p) => p !== prefix));
  }
  return out;
}

function encodeKey(state: StoredState): string {
  return typeof state === 'string' ? state : JSON.stringify(state);
}
