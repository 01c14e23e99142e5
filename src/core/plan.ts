import type { EventObject } from 'xstate';
import type { ActiveNode, Configuration } from './configuration.js';
import type { CompiledTransition } from './machine-index.js';
import type { PayloadSchema, TransitionResult } from './types.js';
import { GuardEvaluationError } from './errors.js';

/** The candidate transitions of one event in one configuration, shaped as XState walks them. */
export interface PlanNode {
  readonly own: readonly CompiledTransition[];
  readonly children: readonly PlanNode[];
}

/**
 * How to answer one event in one configuration. Without parallel regions the walk is a single
 * chain (the leaf's candidates, then its parent's, up to the root): the first candidate whose
 * guard passes wins. With regions it is a tree: regions answer independently, a node answers only
 * when none of its regions did.
 */
export interface Plan {
  readonly type: string;
  readonly chain: readonly CompiledTransition[] | undefined;
  readonly tree: PlanNode | undefined;
  readonly schema: PayloadSchema | undefined;
  /** The event object guards see when the caller gave only a type. */
  readonly bareEvent: EventObject;
  /** No candidate transition at all in this configuration (answered before the payload is read). */
  readonly empty: boolean;
  /** The final-state or no-transition refusal, once known not to depend on context. */
  early: TransitionResult | undefined;
  /** The result after the payload check, once known not to depend on context: no guard was consulted. */
  fixed: TransitionResult | undefined;
  /** Allowed results by selected transition ids, when `to` cannot depend on context. */
  readonly allowed: Map<string, TransitionResult>;
}

/** The outcome of selecting transitions: what was selected, which guards refused, whether it can vary. */
export interface Selection {
  selected: CompiledTransition[];
  blocked: string[] | undefined;
  /** A guard that reads context or event ran: the outcome may differ for another context. */
  guardsRan: boolean;
  /** When true (explain, allowedEvents), a guard that throws counts as refusing instead of throwing. */
  lenient: boolean;
}

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
