import { setup, type AnyStateMachine } from 'xstate';
import { prng } from './random-machine.js';

/**
 * Random machines with `after` transitions for the timer property test: nested and parallel
 * states, `after` with numbers and a named delay that reads context (`WINDOW`), `reenter`, and
 * guards on context, on events A, B and C. From a seed, so that a failure is reproducible.
 */
export const EVENTS = ['A', 'B', 'C'] as const;

interface Spec {
  id: string;
  kind: 'atomic' | 'compound' | 'parallel';
  children: Spec[];
}

export function randomTimedMachine(seed: number): AnyStateMachine {
  const r = prng(seed);
  const int = (n: number) => Math.floor(r() * n);
  let counter = 0;
  const all: Spec[] = [];
  const grow = (depth: number): Spec => {
    const roll = r();
    const kind =
      depth < 2 && roll < 0.3 ? 'compound' : depth < 2 && roll < 0.45 ? 'parallel' : 'atomic';
    const spec: Spec = { id: `s${counter++}`, kind, children: [] };
    all.push(spec);
    if (kind !== 'atomic') {
      const n = 2 + int(2);
      for (let i = 0; i < n; i++) spec.children.push(grow(depth + 1));
    }
    return spec;
  };
  const roots = Array.from({ length: 2 + int(3) }, () => grow(0));
  const target = () => `#m.${path(all[int(all.length)])}`;
  const parents = new Map<Spec, Spec>();
  const index = (s: Spec) => s.children.forEach((c) => (parents.set(c, s), index(c)));
  roots.forEach(index);
  const path = (s: Spec): string => {
    const up = parents.get(s);
    return up ? `${path(up)}.${s.id}` : s.id;
  };
  const config = (s: Spec): Record<string, unknown> => {
    const node: Record<string, unknown> = {};
    if (s.kind === 'compound') node.initial = s.children[0].id;
    if (s.kind === 'parallel') node.type = 'parallel';
    if (s.children.length)
      node.states = Object.fromEntries(s.children.map((c) => [c.id, config(c)]));
    const on: Record<string, unknown> = {};
    for (const e of EVENTS) {
      if (r() < 0.4) {
        const t: Record<string, unknown> = { target: target() };
        if (r() < 0.3) t.reenter = true;
        if (r() < 0.2) t.guard = 'flagged';
        on[e] = t;
      }
    }
    if (Object.keys(on).length) node.on = on;
    if (r() < 0.45) {
      const after: Record<string, unknown> = {};
      const n = 1 + int(2);
      for (let i = 0; i < n; i++) {
        const delay = r() < 0.3 ? 'WINDOW' : String(10 * (1 + int(20)));
        after[delay] = r() < 0.2 ? { target: target(), guard: 'flagged' } : { target: target() };
      }
      node.after = after;
    }
    return node;
  };
  return setup({
    types: {} as { context: { flag: boolean; windowMs: number } },
    guards: { flagged: ({ context }) => context.flag },
    delays: { WINDOW: ({ context }) => context.windowMs },
  }).createMachine({
    id: 'm',
    initial: roots[0].id,
    context: { flag: seed % 2 === 0, windowMs: 50 + (seed % 7) * 10 },
    states: Object.fromEntries(roots.map((s) => [s.id, config(s)])),
  } as never) as unknown as AnyStateMachine;
}
