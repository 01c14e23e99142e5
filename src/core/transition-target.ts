import {
  createMachine,
  transition,
  type AnyStateMachine,
  type EventObject,
  type StateValue,
} from 'xstate';
import { toStoredState } from './state-value.js';
import type { StoredState } from './types.js';

/**
 * Where an allowed transition leads: the state after XState's own `transition()` (the whole
 * macrostep, eventless transitions included). When the machine's actions throw (an `assign` that
 * reads a payload the question did not give) and the target cannot depend on what actions do (no
 * guarded eventless transition reads context, no action raises events), the answer comes from the
 * same machine without its actions, which is then exact. Otherwise, or when that fails too, the
 * target is unknown (undefined).
 */
export class TransitionTarget {
  private withoutActions: AnyStateMachine | undefined;

  constructor(
    private readonly machine: AnyStateMachine,
    /** Whether the target can depend on context or raised events (`MachineIndex.dynamicTarget`). */
    private readonly dynamic: boolean,
  ) {}

  /** The stored state after `event` from `value` with `context`; undefined when it cannot be computed. */
  of(value: StateValue, context: unknown, event: EventObject): StoredState | undefined {
    try {
      return next(this.machine, value, context, event);
    } catch (err) {
      // Without actions the answer would differ, or XState's own verdict is that the machine loops.
      if (this.dynamic) return undefined;
      if (err instanceof Error && err.message.startsWith('Infinite loop detected'))
        return undefined;
      try {
        return next(this.actionFree(), value, context, event);
      } catch {
        return undefined;
      }
    }
  }

  private actionFree(): AnyStateMachine {
    return (this.withoutActions ??= withoutActions(this.machine));
  }
}

/**
 * The same machine without entry, exit and transition actions (its guards, actors and delays
 * kept): where it goes, and the timers it arms, when the actions cannot run on the context given.
 */
export function withoutActions(machine: AnyStateMachine): AnyStateMachine {
  const { guards, actors, delays } = machine.implementations;
  return createMachine(stripActions(machine.config) as never).provide({
    guards,
    actors,
    delays,
  } as never);
}

function next(
  machine: AnyStateMachine,
  value: StateValue,
  context: unknown,
  event: EventObject,
): StoredState {
  const snapshot = machine.resolveState({ value, context });
  const [after] = transition(machine, snapshot, event);
  return toStoredState(after.value as StateValue);
}

/**
 * A machine config without entry, exit and transition actions, at every level. Only plain
 * objects and arrays are walked: schemas and other class instances are kept as they are.
 */
function stripActions(config: unknown, depth = 0): unknown {
  if (depth > 100) return config;
  if (Array.isArray(config)) return config.map((c) => stripActions(c, depth + 1));
  if (config === null || typeof config !== 'object') return config;
  const proto: unknown = Object.getPrototypeOf(config);
  if (proto !== Object.prototype && proto !== null) return config;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === 'entry' || key === 'exit' || key === 'actions') continue;
    out[key] = stripActions(value, depth + 1);
  }
  return out;
}
