import {
  initialTransition,
  transition,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type AnyStateNode,
  type StateValue,
} from 'xstate';
import { allNodes } from '../machine-index.js';
import { decodeState, encodeState, toStateValue, toStoredState } from '../state-value.js';

/** A change of stored state an event can make: `from` and `to` as a state column holds them. */
export interface StoredEdge {
  readonly from: string;
  readonly event: string;
  readonly to: string;
}

/** What a machine lets a state column hold and change, whatever its guards decide. */
export interface StoredStateSpace {
  /** Every stored state a row can be in (encoded as a column holds it), sorted. */
  readonly states: readonly string[];
  /** The stored states a new row starts in (more than one when guarded eventless transitions decide). */
  readonly initial: readonly string[];
  /**
   * Every change of stored state, sorted; an event that leaves the state as it is makes none.
   * A change only a wildcard transition makes is named by the wildcard (`x.*`, `*`).
   */
  readonly edges: readonly StoredEdge[];
  /** Events whose effect could not be computed (an action threw); the edges may lack theirs. */
  readonly problems: readonly string[];
}

/** Runs of one (state, event) before the exploration gives up on more guard outcomes. */
const MAX_RUNS = 64;
/** Runs of the whole machine before the exploration stops (a machine that loops costs the most). */
const MAX_TOTAL_RUNS = 5_000;

/** Microsteps of one macrostep before XState stops it as an infinite loop. */
const MAX_MICROSTEPS = 1000;

/** Bounds of an exploration. */
export interface ExploreOptions {
  /** Runs of XState's `transition()` in all before it stops, with a problem. Default 5,000. */
  readonly maxRuns?: number;
}

/**
 * Explores the stored states of a machine and the changes between them, **ignoring guards**:
 * every guard is a free choice, so the result is the superset of what any guard might allow
 * (what a database trigger can enforce without the app's context). Each (state, event) runs
 * through XState's own `transition()` once per distinct sequence of guard outcomes (a guard
 * past the forced prefix answers false, and each such answer is tried as true in a later run).
 * States are the initial ones, every leaf state, and what events reach from them.
 */
export function exploreStoredStates(
  machine: AnyStateMachine,
  options: ExploreOptions = {},
): StoredStateSpace {
  const free = machine.provide({});
  // A macrostep that loops (raised events, eventless cycles) stops and is reported, not awaited.
  const bounded = free as unknown as { options: { maxIterations?: number } };
  bounded.options = {
    ...bounded.options,
    maxIterations: Math.min(bounded.options.maxIterations ?? Infinity, MAX_MICROSTEPS),
  };
  const chooser = new GuardChooser(options.maxRuns ?? MAX_TOTAL_RUNS);
  for (const node of allNodes(free.root)) {
    for (const defs of node.transitions.values()) for (const def of defs) chooser.free(def);
    for (const def of node.always ?? []) chooser.free(def);
  }
  const events = eventsToSend(free.root);
  const problems: string[] = [];
  const context = (machine.config as { context?: unknown }).context;

  const initial = new Set<string>();
  const seeds: AnyMachineSnapshot[] = [];
  chooser.each(
    () => {
      const [snapshot] = initialTransition(free);
      initial.add(stored(snapshot));
      seeds.push(snapshot);
    },
    problems.push.bind(problems, 'initial state'),
  );
  for (const node of allNodes(free.root)) {
    if (node.type !== 'atomic' && node.type !== 'final') continue;
    if (node.path.length === 0) continue;
    try {
      seeds.push(
        free.resolveState({
          value: toStateValue(node.path.join('.')),
          context: (context !== null && typeof context === 'object' ? context : {}) as never,
        }),
      );
    } catch (err) {
      problems.push(`state ${node.path.join('.')}: ${(err as Error).message}`);
    }
  }

  const states = new Map<string, AnyMachineSnapshot>();
  const queue: AnyMachineSnapshot[] = [];
  // Each state is explored as a row holds it: its value resolved afresh (as the library loads a
  // row, from its column's text), not the snapshot a path reached it with: XState orders the
  // active nodes as they were entered, or as the value's keys come, and that order picks the
  // winner between conflicting transitions of parallel regions.
  const visit = (snapshot: AnyMachineSnapshot) => {
    const key = stored(snapshot);
    if (states.has(key)) return;
    let resolved: AnyMachineSnapshot = snapshot;
    try {
      resolved =
        snapshot.status === 'done'
          ? snapshot
          : free.resolveState({
              value: toStateValue(decodeState(key)),
              context: snapshot.context as never,
            });
    } catch (err) {
      problems.push(`state ${key}: ${(err as Error).message}`);
    }
    states.set(key, resolved);
    queue.push(resolved);
  };
  seeds.forEach(visit);
  const edges = new Map<string, StoredEdge>();
  for (let snapshot = queue.shift(); snapshot && !chooser.spent; snapshot = queue.shift()) {
    const from = stored(snapshot);
    if (snapshot.status === 'done') continue;
    for (const event of events) {
      chooser.each(
        () => {
          const [next] = transition(free, snapshot, { type: event });
          const to = stored(next);
          if (to !== from) {
            const named = event.replace(ANY, '*');
            edges.set(`${from}\u0000${named}\u0000${to}`, { from, event: named, to });
            visit(next);
          }
        },
        (message) => problems.push(`${event} in ${from}: ${message}`),
      );
    }
  }
  return {
    states: [...states.keys()].sort(),
    initial: [...initial].sort(),
    edges: [...edges.values()].sort(
      (a, b) => cmp(a.from, b.from) || cmp(a.event, b.event) || cmp(a.to, b.to),
    ),
    problems,
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const stored = (snapshot: AnyMachineSnapshot) =>
  encodeState(toStoredState(snapshot.value as StateValue));

/** The part of a sent event type that stands for a wildcard (no real event type has it). */
const ANY = '\u0000any';

/**
 * The event types to send: every exact descriptor (delayed `xstate.after.*` ones included: a
 * timer changes state too), and for each wildcard one type that only it matches. Done and error
 * events are raised inside a macrostep, never sent.
 */
function eventsToSend(root: AnyStateNode): string[] {
  const out = new Set<string>();
  for (const node of allNodes(root)) {
    for (const descriptor of node.transitions.keys()) {
      if (descriptor.startsWith('xstate.') && !descriptor.startsWith('xstate.after.')) continue;
      out.add(descriptor.endsWith('*') ? `${descriptor.slice(0, -1)}${ANY}` : descriptor);
    }
  }
  return [...out].sort();
}

/**
 * Makes every guard of a machine copy a free choice, and replays each run of a function once
 * per distinct sequence of guard outcomes (depth-first over the outcomes).
 */
class GuardChooser {
  private forced: boolean[] = [];
  private calls = 0;
  private total = 0;

  constructor(private readonly maxTotal: number) {}

  /** Whether the run budget is spent (the exploration stops). */
  get spent(): boolean {
    return this.total >= this.maxTotal;
  }

  /** Replaces a transition's guard (on a private copy of the machine) by the chooser. */
  free(def: { guard?: unknown }): void {
    if (def.guard !== undefined) def.guard = () => this.next();
  }

  /** Runs `run` once per sequence of guard outcomes; a run that throws reports to `fail`. */
  each(run: () => void, fail: (message: string) => void): void {
    const pending: boolean[][] = [[]];
    let runs = 0;
    for (let prefix = pending.pop(); prefix; prefix = pending.pop()) {
      if (++runs > MAX_RUNS || ++this.total > this.maxTotal) {
        fail(
          runs > MAX_RUNS
            ? `more than ${String(MAX_RUNS)} guard outcomes; the rest were not explored`
            : `the machine took more than ${String(this.maxTotal)} runs; the rest was not explored`,
        );
        return;
      }
      this.forced = prefix;
      this.calls = 0;
      try {
        run();
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err));
        // A run that threw (an infinite eventless loop) says nothing of its other outcomes.
        continue;
      }
      // Every guard past the prefix answered false: try each as true, keeping those before it.
      for (let i = this.calls - 1; i >= prefix.length; i--) {
        pending.push([...prefix, ...new Array<boolean>(i - prefix.length).fill(false), true]);
      }
    }
  }

  private next(): boolean {
    const i = this.calls++;
    return i < this.forced.length ? this.forced[i] : false;
  }
}
