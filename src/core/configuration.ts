import { pathToStateValue, type AnyStateNode, type StateValue } from 'xstate';
import type { MachineIndex } from './machine-index.js';
import type { GuardScope } from './guards.js';
import type { Plan } from './plan.js';
import type { StoredState } from './types.js';
import { MAX_STATE_LENGTH, stateKey, toStoredState } from './state-value.js';
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
  /** Allowed events when they cannot depend on context (no guard was consulted); else null. */
  staticAllowed: readonly string[] | null | undefined = undefined;
  private snap: unknown;

  constructor(
    readonly index: MachineIndex,
    readonly value: StateValue,
    snapshot: { _nodes: AnyStateNode[]; status: string },
  ) {
    this.snap = snapshot;
    this.from = toStoredState(value);
    this.nodes = new Set(snapshot._nodes);
    this.done = snapshot.status === 'done';
    this.tree = activeTree(index.root, value);
  }

  snapshot(): unknown {
    return this.snap;
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
  resolve(stored: StoredState): Configuration {
    if (typeof stored === 'string') {
      const hit = this.byString.get(stored);
      if (hit) return hit;
    } else if (stored !== null && typeof stored === 'object') {
      const hit = this.byObject.get(stored);
      if (hit) return hit;
    }
    const value = this.parse(stored);
    const snapshot = this.index.machine.resolveState({ value, context: {} } as never) as unknown as {
      value: StateValue;
      _nodes: AnyStateNode[];
      status: string;
    };
    const key = stateKey(snapshot.value);
    let config = this.byKey.get(key);
    if (!config) {
      if (this.byKey.size >= CACHE_LIMIT) this.byKey.clear();
      config = new Configuration(this.index, snapshot.value, snapshot);
      this.byKey.set(key, config);
    }
    if (typeof stored === 'string') {
      if (this.byString.size >= CACHE_LIMIT) this.byString.clear();
      this.byString.set(stored, config);
    } else {
      this.byObject.set(stored, config);
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
        if (!child) this.fail(stored, `no state '${segment}' in '${node.path.join('.') || '(root)'}'`);
        node = child;
      }
      return segments.length === 1 ? stored : pathToStateValue(segments);
    }
    if (!isPlainObject(stored) || Object.keys(stored).length === 0) {
      this.fail(stored, 'expected a state name, a dotted path or a state value object');
    }
    this.checkObject(this.index.root, stored, stored, 0);
    return stored as StateValue;
  }

  private checkObject(node: AnyStateNode, value: unknown, stored: unknown, depth: number): void {
    if (depth > 64) this.fail(stored, 'nested too deep');
    if (typeof value === 'string') {
      if (!childOf(node, value)) this.fail(stored, `no state '${value}' in '${node.path.join('.') || '(root)'}'`);
      return;
    }
    if (!isPlainObject(value)) this.fail(stored, 'expected a string or an object at every level');
    const keys = Object.keys(value);
    if (keys.length === 0 && node.type !== 'atomic' && node.type !== 'final') {
      this.fail(stored, `'${node.path.join('.')}' names no active child`);
    }
    if (keys.length > 1 && node.type !== 'parallel') {
      this.fail(stored, `'${node.path.join('.') || '(root)'}' is not parallel but has ${keys.length} active children`);
    }
    for (const key of keys) {
      const child = childOf(node, key);
      if (!child) this.fail(stored, `no state '${key}' in '${node.path.join('.') || '(root)'}'`);
      this.checkObject(child, (value as Record<string, unknown>)[key], stored, depth + 1);
    }
  }

  private fail(stored: unknown, detail: string): never {
    throw new UnknownStateError(this.index.id, stored, this.index.statePaths, detail);
  }
}

function childOf(node: AnyStateNode, key: string): AnyStateNode | undefined {
  const states = node.states as Record<string, AnyStateNode>;
  if (!Object.hasOwn(states, key)) return undefined;
  const child = states[key];
  return child.type === 'history' ? undefined : child;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
