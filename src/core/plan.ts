import type { EventObject } from 'xstate';
import type { ActiveNode, Configuration } from './configuration.js';
import type { CompiledTransition } from './machine-index.js';
import type { PayloadSchema } from './types.js';
import { GuardEvaluationError } from './errors.js';
import type { Plan, PlanNode, Selection } from './plan-types.js';

export type { Plan, PlanNode, Selection } from './plan-types.js';

export function buildPlan(
  config: Configuration,
  type: string,
  schema: PayloadSchema | undefined,
): Plan {
  const tree = planNode(config, config.tree, type);
  const chain = tree && isChain(tree) ? flatten(tree) : undefined;
  return {
    type,
    chain: tree ? chain : [],
    tree: chain ? undefined : (tree ?? undefined),
    schema,
    bareEvent: Object.freeze({ type }),
    empty: !tree,
    early: undefined,
    fixed: undefined,
    allowed: new Map(),
  };
}

function planNode(config: Configuration, active: ActiveNode, type: string): PlanNode | null {
  const children: PlanNode[] = [];
  for (const child of active.children) {
    const p = planNode(config, child, type);
    if (p) children.push(p);
  }
  const own = config.index.candidates(active.node, type);
  return own.length || children.length ? { own, children } : null;
}

function isChain(node: PlanNode): boolean {
  return node.children.length === 0 || (node.children.length === 1 && isChain(node.children[0]));
}

function flatten(node: PlanNode): CompiledTransition[] {
  const inner = node.children.length ? flatten(node.children[0]) : [];
  return [...inner, ...node.own];
}

/** Selects transitions exactly as XState's `transitionNode` does, recording every guard that refused. */
export function select(
  plan: Plan,
  config: Configuration,
  context: unknown,
  event: EventObject,
  lenient: boolean,
): Selection {
  const sel: Selection = { selected: [], blocked: undefined, guardsRan: false, lenient };
  if (plan.chain) {
    const picked = pick(plan.chain, config, context, event, sel);
    if (picked) sel.selected.push(picked);
  } else if (plan.tree) {
    selectTree(plan.tree, config, context, event, sel);
  }
  return sel;
}

function selectTree(
  node: PlanNode,
  config: Configuration,
  context: unknown,
  event: EventObject,
  sel: Selection,
): void {
  const before = sel.selected.length;
  for (const child of node.children) selectTree(child, config, context, event, sel);
  if (sel.selected.length > before) return;
  const picked = pick(node.own, config, context, event, sel);
  if (picked) sel.selected.push(picked);
}

function pick(
  candidates: readonly CompiledTransition[],
  config: Configuration,
  context: unknown,
  event: EventObject,
  sel: Selection,
): CompiledTransition | undefined {
  for (const candidate of candidates) {
    const guard = candidate.guard;
    if (!guard) return candidate;
    if (!guard.configOnly) sel.guardsRan = true;
    let passed: boolean;
    try {
      passed = guard.test(context, event, config);
    } catch (cause) {
      if (!sel.lenient)
        throw new GuardEvaluationError(guard.name, event.type, config.from, { cause });
      passed = false;
    }
    if (passed) return candidate;
    (sel.blocked ??= []).push(guard.name);
  }
  return undefined;
}
