import { createMachine, transition, type AnyStateMachine, type StateValue } from 'xstate';
import {
  decodeState,
  encodeState,
  toStateValue,
  toStoredState,
} from '../../src/core/state-value.js';
import {
  diffLocks,
  formatLock,
  lockMachine,
  parseLock,
  StateMappingError,
  type MachineDiff,
  type MachineLock,
  type StoredEdge,
} from '../../src/core/index.js';
import { allNodes } from '../../src/core/machine-index.js';
import { matchesEventDescriptor } from '../../src/core/event-descriptor.js';
import { orderMachine } from '../../machines/order.machine.js';
import { EVENT_TYPES, randomMachine } from '../property/random-machine.js';

type Config = Record<string, unknown>;

/** A deep copy of a machine config; functions (inline guards, assign) are kept as they are. */
function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)])) as T;
  }
  return value;
}

/** Every state config in the tree, with its parent and key. */
function stateConfigs(root: Config): { node: Config; parent: Config; key: string }[] {
  const out: { node: Config; parent: Config; key: string }[] = [];
  (function walk(parent: Config) {
    const states = parent.states as Record<string, Config> | undefined;
    for (const [key, node] of Object.entries(states ?? {})) {
      out.push({ node, parent, key });
      walk(node);
    }
  })(root);
  return out;
}

/** Rewrites every transition target in the config (strings `#id` in on/always/onDone). */
function mapTargets(root: Config, f: (target: string) => string | undefined): void {
  const fix = (t: unknown): unknown => {
    if (typeof t === 'string') return f(t);
    if (Array.isArray(t)) return t.map(fix).filter((x) => x !== undefined);
    if (t && typeof t === 'object' && 'target' in t) {
      const target = f((t as { target: string }).target);
      return target === undefined ? undefined : { ...t, target };
    }
    return t;
  };
  for (const { node } of [{ node: root }, ...stateConfigs(root)]) {
    const on = node.on as Record<string, unknown> | undefined;
    if (on) for (const k of Object.keys(on)) on[k] = fix(on[k]) ?? [];
    if (node.always) node.always = fix(node.always) ?? [];
    if (node.onDone) {
      const done = fix(node.onDone);
      if (done === undefined) delete node.onDone;
      else node.onDone = done;
    }
  }
}

const leaves = (root: Config) =>
  stateConfigs(root).filter(
    ({ node, parent }) =>
      !node.states && parent.type !== 'parallel' && Object.keys(parent.states as object).length > 1,
  );

type Mutation = 'rename' | 'remove' | 'add-state' | 'add-edge';

/** A mutated copy of a random machine, and the mapping a rename implies. */
function mutate(
  machine: AnyStateMachine,
  kind: Mutation,
  pick: number,
): { machine: AnyStateMachine; map: Record<string, string> } | undefined {
  const config = clone(machine.config as Config);
  const candidates = leaves(config);
  if (!candidates.length) return undefined;
  const { node, parent, key } = candidates[pick % candidates.length];
  const id = node.id as string;
  const states = parent.states as Record<string, Config>;
  let renamedTo: string | undefined;
  if (kind === 'rename') {
    renamedTo = `${id}_r`;
    Reflect.deleteProperty(states, key);
    states[renamedTo] = { ...node, id: renamedTo };
    if (parent.initial === key) parent.initial = renamedTo;
    mapTargets(config, (t) => (t === `#${id}` ? `#${renamedTo}` : t));
  } else if (kind === 'remove') {
    Reflect.deleteProperty(states, key);
    if (parent.initial === key) parent.initial = Object.keys(states)[0];
    mapTargets(config, (t) => (t === `#${id}` ? undefined : t));
  } else if (kind === 'add-state') {
    const added = `${id}_new`;
    states[added] = { id: added, on: { A: `#${id}` } };
    node.on = { ...(node.on as object), D: [`#${added}`] };
  } else {
    const target = stateConfigs(config)[pick % stateConfigs(config).length].node.id as string;
    node.on = { ...(node.on as object), E: [`#${target}`] };
  }
  const mutated = createMachine(config as never, machine.implementations as never);
  const map: Record<string, string> = {};
  return {
    machine: mutated as unknown as AnyStateMachine,
    map: renamedTo ? ((map[id] = renamedTo), map) : map,
  };
}

/** The oracle: the diff by plain set differences over the two locks' arrays. */
function oracle(before: MachineLock, after: MachineLock, map: Record<string, string>): MachineDiff {
  const rename = (s: string) => map[s] ?? s;
  const same = (a: StoredEdge, b: StoredEdge) =>
    a.from === b.from && a.event === b.event && a.to === b.to;
  const oldEdges: StoredEdge[] = [];
  for (const e of before.edges) {
    const moved = { from: rename(e.from), event: e.event, to: rename(e.to) };
    if (moved.from !== moved.to && !oldEdges.some((o) => same(o, moved))) oldEdges.push(moved);
  }
  const removed = before.states.filter((s) => !after.states.includes(s) && !(s in map));
  return {
    machine: after.machine,
    states: {
      added: after.states.filter(
        (s) => !before.states.includes(s) && !Object.values(map).includes(s),
      ),
      removed,
      renamed: Object.entries(map).map(([from, to]) => ({ from, to })),
    },
    events: {
      added: after.events.filter((e) => !before.events.includes(e)),
      removed: before.events.filter((e) => !after.events.includes(e)),
    },
    edges: {
      added: after.edges.filter((e) => !oldEdges.some((o) => same(o, e))),
      removed: oldEdges.filter((o) => !after.edges.some((e) => same(o, e))),
    },
    unmapped: removed,
  };
}

/** Whether a state value is a final configuration of `node` (XState's `isInFinalState`). */
function isDone(node: AnyStateMachine['root'], value: StateValue): boolean {
  if (typeof value === 'string') return node.states[value]?.type === 'final';
  const entries = Object.entries(value);
  if (node.type === 'parallel') {
    return entries.every(([k, v]) => v !== undefined && isDone(node.states[k], v));
  }
  return entries.length === 1 && isDone(node.states[entries[0][0]], entries[0][1] as StateValue);
}

describe('machine locks and diffs', () => {
  it('agrees with a set-difference oracle on 500 mutated random machine pairs', () => {
    const kinds: Mutation[] = ['rename', 'remove', 'add-state', 'add-edge'];
    let pairs = 0;
    const seen = { rename: 0, remove: 0, 'add-state': 0, 'add-edge': 0, changed: 0 };
    for (let seed = 1; pairs < 500; seed++) {
      const { machine } = randomMachine(seed);
      if (allNodes(machine.root).some((n) => n.transitions.has('*'))) continue;
      const before = lockMachine(machine, { maxRuns: 500 });
      if (before.problems.length) continue;
      const kind = kinds[seed % kinds.length];
      let mutated;
      try {
        mutated = mutate(machine, kind, seed);
      } catch {
        continue; // a removal that leaves a compound state without children: not a machine
      }
      if (!mutated) continue;
      const after = lockMachine(mutated.machine, { maxRuns: 500 });
      if (after.problems.length) continue;
      // A rename maps every stored state naming the renamed state to the one naming the new.
      const map: Record<string, string> = {};
      for (const [from, to] of Object.entries(mutated.map)) {
        const token = new RegExp(`\\b${from}\\b`, 'g');
        for (const s of before.states) if (token.test(s)) map[s] = s.replace(token, to);
      }
      let diff: MachineDiff;
      try {
        diff = diffLocks(before, after, map);
      } catch (err) {
        // A mapped name the new machine never reaches: the oracle would not map it either.
        expect(err).toBeInstanceOf(StateMappingError);
        continue;
      }
      expect(diff).toEqual(oracle(before, after, map));
      if (kind === 'rename') expect(diff.unmapped).toEqual([]);
      seen[kind]++;
      if (diff.states.added.length + diff.unmapped.length + diff.edges.added.length) seen.changed++;
      pairs++;
    }
    for (const k of kinds) expect(seen[k]).toBeGreaterThan(50);
    expect(seen.changed).toBeGreaterThan(250);
  });

  it("holds every state change XState makes with the machine's real guards (200 random machines)", () => {
    let checked = 0;
    for (let seed = 1, machines = 0; machines < 200; seed++) {
      const { machine } = randomMachine(seed);
      if (allNodes(machine.root).some((n) => n.transitions.has('*'))) continue;
      const lock = lockMachine(machine, { maxRuns: 500 });
      if (lock.problems.length) continue;
      machines++;
      const edges = new Set(lock.edges.map((e) => `${e.from} ${e.event} ${e.to}`));
      // The events the machine declares (the library refuses any other as unknown-event).
      const events = EVENT_TYPES.filter((type) =>
        lock.events.some((d) => matchesEventDescriptor(type, d)),
      );
      for (const from of lock.states) {
        for (const context of [
          { a: 0, b: 0 },
          { a: 3, b: 2 },
          { a: 4, b: 9 },
        ]) {
          const snapshot = machine.resolveState({
            value: toStateValue(decodeState(from)),
            context,
          });
          // A machine in a top-level final state is done: XState's actors (and the library) move no further.
          if (isDone(machine.root, snapshot.value)) continue;
          for (const type of events) {
            for (const flag of [true, false]) {
              let to: string;
              try {
                to = encodeState(
                  toStoredState(transition(machine, snapshot, { type, flag })[0].value),
                );
              } catch {
                continue; // XState itself refuses (an infinite loop under these guards)
              }
              if (to === from) continue;
              checked++;
              const held =
                edges.has(`${from} ${type} ${to}`) ||
                lock.edges.some(
                  (e) =>
                    e.from === from &&
                    e.to === to &&
                    e.event.endsWith('*') &&
                    matchesEventDescriptor(type, e.event),
                );
              expect(held || `${from} ${type} ${to}`).toBe(true);
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('a lock file round-trips, and a lock edited by hand is refused', () => {
    const lock = lockMachine(orderMachine);
    const text = formatLock(lock);
    const { problems: _, ...file } = lock;
    expect(parseLock(text)).toEqual(file);
    expect(() => parseLock(text.replace('"PAY"', '"PAID"'), 'order.lock.json')).toThrow(
      /order\.lock\.json: its hash does not match its content/,
    );
    expect(() => parseLock('{"format":2}', 'x.lock.json')).toThrow(
      /x\.lock\.json: not a machine lock/,
    );
  });

  it('the order machine: a renamed state needs its mapping, a removed one is reported unmapped', () => {
    const before = lockMachine(orderMachine);
    const config = clone(orderMachine.config as Config);
    const states = config.states as Record<string, Config>;
    states.dispatched = states.shipped;
    delete states.shipped;
    mapTargets(config, (t) => (t === 'shipped' ? 'dispatched' : t));
    const after = lockMachine(
      createMachine(config as never, orderMachine.implementations as never) as never,
    );
    const unmapped = diffLocks(before, after);
    expect(unmapped.unmapped).toEqual(['shipped']);
    expect(unmapped.states.added).toEqual(['dispatched']);
    const mapped = diffLocks(before, after, { shipped: 'dispatched' });
    expect(mapped).toMatchObject({
      states: { added: [], removed: [], renamed: [{ from: 'shipped', to: 'dispatched' }] },
      edges: { added: [], removed: [] },
      unmapped: [],
    });
    expect(() => diffLocks(before, after, { shiped: 'dispatched' })).toThrow(
      /'shiped' is not a state of the old 'order'/,
    );
  });
});
