import { pathToStateValue, type AnyStateNode, type StateValue } from 'xstate';
import type { MachineIndex } from './machine-index.js';
import type { GuardScope } from './guards.js';
import type { Plan } from './plan-types.js';
import type { StoredState } from './types.js';
import { MAX_STATE_LENGTH, toStoredState } from './state-value.js';
import { canonicalJson } from './canonical-json.js';
import { UnknownStateError } from './errors.js';

/** The active state nodes under one node, in the shape XState's `transitionNode` walks them. */
export interface ActiveNode {
  readonly node: AnyStateNode;
  /** One child for a compound state, one per region for a parallel state, none for a leaf. */
  readonly children: readonly ActiveNode[];
}

/**
 * One resolved configuration of the machine (a set of active states), compiled on first use and
 * kept: its canonical stored form, the active tree, and per-event plans.
 */
export class Configuration implements GuardScope {
  readonly from: StoredState;
  readonly nodes: ReadonlySet<AnyStateNode>;
  readonly done: boolean;
  readonly tree: ActiveNode;
  readonly plans = new Map<string, Plan>();
  /** Allowed events, once known not to depend on context (no context-reading guard was consulted). */
  staticAllowed: readonly string[] | undefined = undefined;
  /** Per event: settled as allowed (its type) or refused (null), or a plan to evaluate per call. */
  allowedEntries: readonly (string | null | Plan)[] | undefined = undefined;
  private snap: unknown;

  constructor(
    readonly index: MachineIndex,
    readonly value: StateValue,
    nodes: ReadonlySet<AnyStateNode>,
    done: boolean,
  ) {
    this.from = toStoredState(value);
    this.nodes = nodes;
    this.done = done;
    this.tree = activeTree(index.root, value);
  }

  /** An XState snapshot of this configuration, for guards this package does not compile itself. */
  snapshot(): unknown {
    return (this.snap ??= this.index.machine.resolveState({
      value: this.value,
      context: {},
    }));
  }
}

function activeTree(node: AnyStateNode, value: StateValue): ActiveNode {
  if (typeof value === 'string') {
    return { node, children: [{ node: node.states[value], children: [] }] };
  }
  const keys = Object.keys(value);
  return {
    node,
    children: keys.map((k) => activeTree(node.states[k], (value as Record<string, StateValue>)[k])),
  };
}

const CACHE_LIMIT = 10_000;

/** Turns stored states into configurations, safely (no prototype lookups) and with caching. */
export class ConfigurationCache {
  private readonly byString = new Map<string, Configuration>();
  private readonly byObject = new WeakMap<object, Configuration>();
  private readonly byKey = new Map<string, Configuration>();

  constructor(private readonly index: MachineIndex) {}

  /** The configuration of a stored state; throws `UnknownStateError` for a state the machine does not have. */
  resolve(stored: unknown): Configuration {
    if (typeof stored === 'string') {
      const hit = this.byString.get(stored);
      if (hit) return hit;
    } else if (stored !== null && typeof stored === 'object') {
      const hit = this.byObject.get(stored);
      if (hit) return hit;
    }
    const resolved = resolveConfiguration(this.index.root, this.parse(stored));
    const key = canonicalJson(resolved.value);
    let config = this.byKey.get(key);
    if (!config) {
      if (this.byKey.size >= CACHE_LIMIT) this.byKey.clear();
      config = new Configuration(this.index, resolved.value, resolved.nodes, resolved.done);
      this.byKey.set(key, config);
    }
    if (typeof stored === 'string') {
      if (this.byString.size >= CACHE_LIMIT) this.byString.clear();
      this.byString.set(stored, config);
    } else {
      this.byObject.set(stored as object, config);
    }
    return config;
  }

  private parse(stored: unknown): StateValue {
    if (typeof stored === 'string') {
      if (stored === '' || stored.length > MAX_STATE_LENGTH) this.fail(stored, 'not a state path');
      const segments = stored.split('.');
      let node = this.index.root;
      for (const segment of segments) {
        const child = childOf(node, segment);
        if (!child)
          this.fail(stored, `no state '${segment}' in '${node.path.join('.') || '(root)'}'`);
        node = child;
      }
      return segments.length === 1 ? stored : pathToStateValue(segments);
    }
    // A machine with no states of its own (root-level handlers only) is always in `{}`.
    if (isPlainObject(stored) && !Object.keys(stored).length && this.rootOnly()) return {};
    if (!isPlainObject(stored) || Object.keys(stored).length === 0) {
      this.fail(stored, 'expected a state name, a dotted path or a state value object');
    }
    this.checkObject(this.index.root, stored, stored, 0);
    return stored as StateValue;
  }

  private checkObject(node: AnyStateNode, value: unknown, stored: unknown, depth: number): void {
    if (depth > 64) this.fail(stored, 'nested too deep');
    if (typeof value === 'string') {
      if (!childOf(node, value))
        this.fail(stored, `no state '${value}' in '${node.path.join('.') || '(root)'}'`);
      return;
    }
    if (!isPlainObject(value)) this.fail(stored, 'expected a string or an object at every level');
    const keys = Object.keys(value);
    if (keys.length === 0 && node.type !== 'atomic' && node.type !== 'final') {
      this.fail(stored, `'${node.path.join('.')}' names no active child`);
    }
    if (keys.length > 1 && node.type !== 'parallel') {
      this.fail(
        stored,
        `'${node.path.join('.') || '(root)'}' is not parallel but has ${keys.length} active children`,
      );
    }
    for (const key of keys) {
      const child = childOf(node, key);
      if (!child) this.fail(stored, `no state '${key}' in '${node.path.join('.') || '(root)'}'`);
      this.checkObject(child, value[key], stored, depth + 1);
    }
  }

  private rootOnly(): boolean {
    return Object.keys(this.index.root.states).length === 0;
  }

  private fail(stored: unknown, detail: string): never {
    throw new UnknownStateError(this.index.id, stored, this.index.statePaths, detail);
  }
}

/**
 * XState's `resolveState` without building a snapshot (whose cost grows with the machine): the
 * nodes the value names, completed with initial states (XState's `getAllStateNodes`), the
 * completed state value (`getStateValue`), and whether the machine is done (`isInFinalState`).
 */
export function resolveConfiguration(
  root: AnyStateNode,
  value: StateValue,
): { value: StateValue; nodes: Set<AnyStateNode>; done: boolean } {
  const nodes = new Set<AnyStateNode>([root]);
  (function walk(node: AnyStateNode, v: StateValue) {
    if (typeof v === 'string') {
      nodes.add(node.states[v]);
      return;
    }
    for (const key of Object.keys(v)) {
      const child = node.states[key];
      nodes.add(child);
      walk(child, (v as Record<string, StateValue>)[key]);
    }
  })(root, value);
  // As XState: a compound state counts as having an active child only if the given value named one.
  const named = new Set<AnyStateNode>();
  for (const n of nodes) if (n.parent) named.add(n.parent);
  const addInitial = (node: AnyStateNode) => {
    for (const target of initialTargets(node)) {
      for (let m: AnyStateNode | undefined = target; m && m !== node; m = m.parent) nodes.add(m);
    }
  };
  for (const n of nodes) {
    if (n.type === 'compound' && !named.has(n)) addInitial(n);
    else if (n.type === 'parallel') {
      for (const region of Object.values(n.states as Record<string, AnyStateNode>)) {
        if (region.type === 'history' || nodes.has(region)) continue;
        nodes.add(region);
      }
    }
  }
  const children = new Map<AnyStateNode, AnyStateNode[]>();
  for (const n of nodes) {
    if (!n.parent) continue;
    const list = children.get(n.parent);
    if (list) list.push(n);
    else children.set(n.parent, [n]);
  }
  const valueOf = (node: AnyStateNode): StateValue => {
    const kids = children.get(node) ?? [];
    if (
      node.type === 'compound' &&
      kids.length &&
      (kids[0].type === 'atomic' || kids[0].type === 'final')
    ) {
      return kids[0].key;
    }
    return Object.fromEntries(kids.map((k) => [k.key, valueOf(k)]));
  };
  const isDone = (node: AnyStateNode): boolean => {
    const kids = children.get(node) ?? [];
    if (node.type === 'compound') return kids.some((k) => k.type === 'final');
    if (node.type === 'parallel') {
      return Object.values(node.states as Record<string, AnyStateNode>)
        .filter((r) => r.type !== 'history')
        .every((r) => isDone(r));
    }
    return node.type === 'final';
  };
  return { value: valueOf(root), nodes, done: isDone(root) };
}

function childOf(node: AnyStateNode, key: string): AnyStateNode | undefined {
  const states = node.states as Record<string, AnyStateNode>;
  if (!Object.hasOwn(states, key)) return undefined;
  const child = states[key];
  return child.type === 'history' ? undefined : child;
}

/** The initial targets of a compound node; none for other nodes (XState's type says always). */
export function initialTargets(node: AnyStateNode): readonly AnyStateNode[] {
  const initial = node.initial as { target?: readonly AnyStateNode[] } | undefined;
  return initial?.target ?? [];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
