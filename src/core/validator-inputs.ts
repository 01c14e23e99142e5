import type { Configuration } from './configuration.js';
import { MAX_EVENT_TYPE_LENGTH } from './event-descriptor.js';
import { select, type Plan, type Selection } from './plan.js';
import type { RefusalReason, StateInput } from './types.js';

const NONE: readonly string[] = Object.freeze([]);

/** The stored state of an input a JavaScript caller may have got wrong (null, no object). */
export function stateOf(input: StateInput | null | undefined): unknown {
  return input?.state;
}

/** The context of an input, or the machine's own when none is given. */
export function contextOf(input: StateInput | null | undefined, fallback: unknown): unknown {
  return input?.context === undefined ? fallback : input.context;
}

/** Why a selection refused: forbidden (an inert transition stopped it), guards, or nothing. */
export function refusalOf(sel: Selection): RefusalReason {
  if (sel.selected.length) return 'forbidden';
  return sel.blocked ? 'guard-rejected' : 'no-transition';
}

/** An event type as refusals show it: cut to the longest accepted, or its JavaScript type. */
export function describeType(type: unknown): string {
  if (type === undefined) return '';
  return typeof type === 'string' ? type.slice(0, MAX_EVENT_TYPE_LENGTH) : `(${typeof type})`;
}

/**
 * The events accepted in a configuration now, in machine order (payloads aside). The first call
 * answers every event once; events whose answer read no context are settled for good, the others
 * are re-evaluated per call.
 */
export function allowedEventsIn(
  config: Configuration,
  context: unknown,
  events: readonly string[],
  planOf: (type: string) => Plan,
): readonly string[] {
  if (config.done) return NONE;
  if (config.staticAllowed) return config.staticAllowed;
  let entries = config.allowedEntries;
  if (!entries) {
    entries = events.map((type) => {
      const plan = planOf(type);
      const sel = select(plan, config, context, plan.bareEvent, true);
      if (sel.guardsRan) return plan;
      return sel.selected.some((t) => !t.inert) ? type : null;
    });
    if (entries.every((e) => typeof e !== 'object' || e === null)) {
      return (config.staticAllowed = Object.freeze(entries.filter((e): e is string => e !== null)));
    }
    config.allowedEntries = entries;
  }
  const out: string[] = [];
  for (const entry of entries) {
    if (entry === null) continue;
    if (typeof entry === 'string') out.push(entry);
    else if (select(entry, config, context, entry.bareEvent, true).selected.some((t) => !t.inert)) {
      out.push(entry.type);
    }
  }
  return out;
}
