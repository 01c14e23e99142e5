import {
  and,
  assign,
  not,
  or,
  raise,
  setup,
  stateIn,
  type AnyStateMachine,
  type StateValue,
} from 'xstate';

/**
 * Random XState machines for the property test: nested and parallel states, final states,
 * named guards with static and dynamic params, `and`/`or`/`not`/`stateIn`, inline guards,
 * wildcards (`*`, `x.*`), forbidden and targetless transitions, `reenter`, eventless transitions
 * (guarded, over context that `assign` changes), `onDone`, and raised events. Machines come from a
 * seed so that a failing case is reproducible from the seed fast-check prints.
 */
export const EVENT_TYPES = ['A', 'B', 'C', 'D', 'E', 'x.y', 'x.z'];
const DESCRIPTORS = [...EVENT_TYPES, '*', 'x.*'];

export interface RandomCase {
  machine: AnyStateMachine;
  /** Every state node id, for picking stored states. */
  ids: string[];
}

/** A seeded pseudo-random generator (mulberry32): the same seed, the same machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Node {
  id: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final';
  children: Node[];
  parent?: Node;
  order: number;
}

export function randomMachine(seed: number): RandomCase {
  const r = prng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const chance = (p: number) => r() < p;
  let counter = 0;
  const all: Node[] = [];

  function grow(depth: number, parent?: Node, inParallel = false): Node {
    const node: Node = {
      id: `s${counter++}`,
      type: 'atomic',
      children: [],
      parent,
      order: all.length,
    };
    all.push(node);
    const roll = r();
    if (depth < 3 && roll < 0.35) {
      node.type = 'compound';
      const n = 1 + int(3);
      for (let i = 0; i < n; i++) node.children.push(grow(depth + 1, node));
    } else if (depth < 3 && roll < 0.45) {
      node.type = 'parallel';
      const n = 2 + int(2);
      for (let i = 0; i < n; i++) node.children.push(grow(depth + 1, node, true));
      // Regions of a parallel state are compound states.
      for (const region of node.children) {
        if (region.type !== 'compound') {
          region.type = 'compound';
          region.children = [grow(depth + 2, region), grow(depth + 2, region)];
        }
      }
    } else if (!inParallel && roll < 0.55 && parent) {
      node.type = 'final';
    }
    return node;
  }

  const root: Node = {
    id: 'root',
    type: chance(0.25) ? 'parallel' : 'compound',
    children: [],
    order: -1,
  };
  const top = 2 + int(4);
  for (let i = 0; i < top; i++) root.children.push(grow(1, root, root.type === 'parallel'));
  if (root.type === 'parallel') {
    for (const region of root.children) {
      if (region.type !== 'compound') {
        region.type = 'compound';
        region.children = [grow(2, region), grow(2, region)];
      }
    }
  }
  // Regions rebuilt above orphaned some nodes: ids come from the final tree.
  const ids: string[] = [];
  (function collect(n: Node) {
    for (const c of n.children) {
      ids.push(c.id);
      collect(c);
    }
  })(root);
  const pickId = () => ids[int(ids.length)];

  function guard(depth: number): unknown {
    const k = int(depth > 1 ? 5 : 9);
    switch (k) {
      case 0:
        return 'evenA';
      case 1:
        return { type: 'gt', params: { key: chance(0.5) ? 'a' : 'b', n: int(5) } };
      case 2:
        return 'flag';
      case 3:
        return 'bothEvenAndFlag';
      case 4: {
        const n = int(5);
        return ({ context }: { context: { b: number } }) => context.b > n;
      }
      case 5:
        return and([guard(depth + 1) as never, guard(depth + 1) as never]);
      case 6:
        return or([guard(depth + 1) as never, guard(depth + 1) as never]);
      case 7:
        return not(guard(depth + 1) as never);
      default:
        return chance(0.5)
          ? stateIn(`#${pickId()}`)
          : {
              type: 'gt',
              params: ({ context }: { context: { b: number } }) => ({ key: 'a', n: context.b }),
            };
    }
  }

  const bump = assign({ a: ({ context }: { context: { a: number } }) => context.a + 1 });

  function transitions(forAlways: Node | undefined, exact: boolean): unknown[] {
    const n = 1 + int(3);
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const t: Record<string, unknown> = {};
      if (forAlways) {
        // Eventless transitions go to a later sibling only, so a macrostep always ends.
        const later = forAlways.parent!.children.filter((c) => c.order > forAlways.order);
        if (!later.length) continue;
        t.target = `#${later[int(later.length)].id}`;
      } else if (chance(0.8)) {
        t.target = `#${pickId()}`;
        if (chance(0.15)) t.reenter = true;
      }
      if (chance(0.5)) t.guard = guard(0);
      const actions: unknown[] = [];
      if (chance(0.3)) actions.push(bump);
      if (!forAlways && exact && chance(0.1)) actions.push(raise({ type: 'E' }));
      if (actions.length) t.actions = actions;
      out.push(t);
    }
    return out;
  }

  function config(node: Node): Record<string, unknown> {
    const c: Record<string, unknown> = { id: node.id };
    if (node.type === 'final') c.type = 'final';
    if (node.type === 'parallel') c.type = 'parallel';
    if (node.type === 'compound' || node.type === 'parallel') {
      c.states = Object.fromEntries(node.children.map((ch) => [ch.id, config(ch)]));
      if (node.type === 'compound') c.initial = node.children[int(node.children.length)].id;
    }
    if (node.type !== 'final') {
      const on: Record<string, unknown> = {};
      for (const d of DESCRIPTORS) {
        if (chance(d === '*' ? 0.05 : 0.18))
          on[d] = chance(0.08) ? {} : transitions(undefined, !d.includes('*') && d !== 'E');
      }
      if (Object.keys(on).length) c.on = on;
      if (node.type === 'atomic' && node.parent && chance(0.15)) {
        const always = transitions(node, false);
        if (always.length) c.always = always;
      }
      if (node.type === 'compound' && node.parent && chance(0.2)) {
        const siblings = node.parent.children.filter((s) => s.order > node.order);
        if (siblings.length && node.parent.type === 'compound') {
          c.onDone = {
            target: `#${siblings[int(siblings.length)].id}`,
            ...(chance(0.5) ? { guard: guard(0) } : {}),
          };
        }
      }
    }
    return c;
  }

  const rootConfig = config(root);
  delete rootConfig.always;
  const machine = setup({
    types: {},
    guards: {
      evenA: ({ context }) => context.a % 2 === 0,
      gt: ({ context }, params: { key: 'a' | 'b'; n: number }) => context[params.key] > params.n,
      flag: ({ event }) => event.flag === true,
      bothEvenAndFlag: and(['evenA', 'flag']),
    },
  }).createMachine({
    ...(rootConfig as object),
    id: 'rnd',
    context: { a: 0, b: 0 },
    // Wildcards also catch done events, so a random machine can loop; XState then throws.
    options: { maxIterations: 200 },
  } as never) as unknown as AnyStateMachine;
  return { machine, ids };
}

/** A random stored state of the machine, as XState would store it after resolving it. */
export function randomStateValue(machine: AnyStateMachine, picks: number[]): StateValue {
  let i = 0;
  const next = () => picks[i++ % picks.length];
  function walk(node: AnyStateMachine['root']): StateValue {
    const children: AnyStateMachine['root'][] = Object.values(node.states);
    if (node.type === 'parallel') {
      return Object.fromEntries(children.map((c) => [c.key, walk(c)]));
    }
    const child = children[next() % children.length];
    if (child.type === 'compound' || child.type === 'parallel') return { [child.key]: walk(child) };
    return child.key;
  }
  return walk(machine.root);
}
