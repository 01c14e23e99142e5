import type { MachineLock } from './machine-lock.js';
import type { StoredEdge } from './stored-edges.js';

/** What changed between two locks of a machine, with renamed states mapped. */
export interface MachineDiff {
  readonly machine: string;
  readonly states: {
    readonly added: readonly string[];
    readonly removed: readonly string[];
    readonly renamed: readonly { readonly from: string; readonly to: string }[];
  };
  readonly events: { readonly added: readonly string[]; readonly removed: readonly string[] };
  /** Edges compared after renaming the old ones' states by the mapping. */
  readonly edges: {
    readonly added: readonly StoredEdge[];
    readonly removed: readonly StoredEdge[];
  };
  /**
   * Removed states that no mapping moves anywhere: rows still in them would be in a state the
   * new machine does not know. `transition-guard diff` exits 1 when there are any.
   */
  readonly unmapped: readonly string[];
}

/**
 * A mapping that cannot apply: names the state and what is wrong.
 *
 * @example
 * diffLocks(oldLock, newLock, { shiped: 'dispatched' }); // throws StateMappingError: --map shiped=dispatched: 'shiped' is not a state of the old 'order' ...
 */
export class StateMappingError extends Error {
  override readonly name = 'StateMappingError';
}

/**
 * Compares two locks. `map` renames old states to new ones (`{ shipped: 'dispatched' }`): a
 * mapped state is renamed, not removed and added, and the old edges are compared under the new
 * names. Throws `StateMappingError` when a mapping names a state the old lock lacks or a target
 * the new one lacks.
 *
 * @example
 * const diff = diffLocks(oldLock, newLock, { shipped: 'dispatched' });
 * diff.unmapped; // [] when every removed state is mapped
 */
export function diffLocks(
  before: MachineLock,
  after: MachineLock,
  map: Readonly<Record<string, string>> = {},
): MachineDiff {
  const oldStates = new Set(before.states);
  const newStates = new Set(after.states);
  for (const [from, to] of Object.entries(map)) {
    if (!oldStates.has(from)) {
      throw new StateMappingError(
        `--map ${from}=${to}: '${from}' is not a state of the old '${before.machine}' (states: ${before.states.join(', ')})`,
      );
    }
    if (newStates.has(from)) {
      throw new StateMappingError(
        `--map ${from}=${to}: '${from}' is still a state of the new '${after.machine}'; a mapping moves the rows of a removed state`,
      );
    }
    if (!newStates.has(to)) {
      throw new StateMappingError(
        `--map ${from}=${to}: '${to}' is not a state of the new '${after.machine}' (states: ${after.states.join(', ')})`,
      );
    }
  }
  const rename = (s: string) => (Object.hasOwn(map, s) ? map[s] : s);
  const renamed = Object.entries(map).map(([from, to]) => ({ from, to }));
  const renamedFrom = new Set(renamed.map((r) => r.from));
  const removed = before.states.filter((s) => !newStates.has(s) && !renamedFrom.has(s));
  const edgeKey = (e: StoredEdge) => `${e.from}\u0000${e.event}\u0000${e.to}`;
  const oldEdges = new Map<string, StoredEdge>();
  for (const e of before.edges) {
    const moved = { from: rename(e.from), event: e.event, to: rename(e.to) };
    if (moved.from !== moved.to) oldEdges.set(edgeKey(moved), moved);
  }
  const newEdges = new Map(after.edges.map((e) => [edgeKey(e), e]));
  const oldEvents = new Set(before.events);
  const newEvents = new Set(after.events);
  const renamedTo = new Set(renamed.map((r) => r.to));
  return {
    machine: after.machine,
    states: {
      added: after.states.filter((s) => !oldStates.has(s) && !renamedTo.has(s)),
      removed,
      renamed,
    },
    events: {
      added: after.events.filter((e) => !oldEvents.has(e)),
      removed: before.events.filter((e) => !newEvents.has(e)),
    },
    edges: {
      added: [...newEdges].filter(([k]) => !oldEdges.has(k)).map(([, e]) => e),
      removed: [...oldEdges].filter(([k]) => !newEdges.has(k)).map(([, e]) => e),
    },
    unmapped: removed,
  };
}

/**
 * The diff as text, one change per line; `no changes` when there are none.
 *
 * @example
 * console.log(formatDiff(diffLocks(oldLock, newLock, { shipped: 'dispatched' })));
 * // order:
 * //   ~ state shipped -> dispatched
 */
export function formatDiff(diff: MachineDiff): string {
  const lines: string[] = [];
  const edge = (e: StoredEdge) => `${e.from} --${e.event}--> ${e.to}`;
  for (const s of diff.states.added) lines.push(`+ state ${s}`);
  for (const s of diff.states.removed) lines.push(`- state ${s}`);
  for (const r of diff.states.renamed) lines.push(`~ state ${r.from} -> ${r.to}`);
  for (const e of diff.events.added) lines.push(`+ event ${e}`);
  for (const e of diff.events.removed) lines.push(`- event ${e}`);
  for (const e of diff.edges.added) lines.push(`+ edge ${edge(e)}`);
  for (const e of diff.edges.removed) lines.push(`- edge ${edge(e)}`);
  if (!lines.length) lines.push('no changes');
  if (diff.unmapped.length) {
    lines.push(
      `error: rows in ${diff.unmapped.map((s) => `'${s}'`).join(', ')} would be in a state the new machine does not have; map each to a new state (--map ${diff.unmapped[0]}=<state>) and move their rows in a migration (docs/changing-machines.md)`,
    );
  }
  return `${diff.machine}:\n${lines.map((l) => `  ${l}`).join('\n')}`;
}
