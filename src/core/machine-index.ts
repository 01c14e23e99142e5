import type {
  AnyStateMachine,
  AnyStateNode,
  EventObject,
  MachineContext,
  TransitionDefinition,
} from 'xstate';
import { compileGuard, type CompiledGuard } from './guards.js';
import {
  isInternalEventType,
  isWildcardDescriptor,
  matchesEventDescriptor,
} from './event-descriptor.js';
import { MachineConfigError } from './errors.js';

type AnyTransition = TransitionDefinition<MachineContext, EventObject>;

/** A transition of the machine, compiled once: its guard as one function, and an id for memo keys. */
export interface CompiledTransition {
  readonly def: AnyTransition;
  readonly id: number;
  readonly guard: CompiledGuard | undefined;
  /** XState's "forbidden" transition: no target and no actions. It stops bubbling; `can()` is false. */
  readonly inert: boolean;
  /** Roles declared in the transition's `meta.roles` (a caller needs one of them), if any. */
  readonly roles: readonly string[] | undefined;
}

/**
 * Everything about a machine that does not depend on a state: its events, its states, its
 * transitions with compiled guards, and whether the state after a transition can depend on
 * context (in which case `to` is computed by XState for every call instead of once).
 */
export class MachineIndex {
  readonly id: string;
  readonly root: AnyStateNode;
  /** Event types the machine declares, in document order (no wildcards, no `xstate.*`). */
  readonly events: readonly string[];
  /** Dotted paths of every state, for messages. */
  readonly statePaths: readonly string[];
  /** True when guarded eventless or done transitions, or raised events, make `to` depend on context. */
  readonly dynamicTarget: boolean;
  readonly defaultContext: unknown;

  /** Per event type: the roles declared on its transitions, and whether one of them needs none. */
  private readonly roleTally = new Map<string, { roles: Set<string>; open: boolean }>();

  private readonly exact = new Set<string>();
  private readonly wildcards: string[] = [];
  private readonly compiled = new Map<AnyTransition, CompiledTransition>();
  private readonly candidateMemo = new Map<
    AnyStateNode,
    Map<string, readonly CompiledTransition[]>
  >();

  constructor(readonly machine: AnyStateMachine) {
    this.id = machine.id;
    this.root = machine.root;
    const events: string[] = [];
    const paths: string[] = [];
    const problems: string[] = [];
    let dynamic = false;
    const nodes = allNodes(this.root);
    const doneEvents = nodes
      .filter(
        (n) =>
          n.type === 'parallel' ||
          Object.values(n.states).some((c) => (c as AnyStateNode).type === 'final'),
      )
      .map((n) => `xstate.done.state.${n.id}`);
    for (const node of nodes) {
      if (node !== this.root && node.type !== 'history') paths.push(node.path.join('.'));
      for (const [descriptor, defs] of node.transitions) {
        if (isWildcardDescriptor(descriptor)) {
          if (!this.wildcards.includes(descriptor)) this.wildcards.push(descriptor);
        } else if (!this.exact.has(descriptor)) {
          this.exact.add(descriptor);
          if (!isInternalEventType(descriptor)) events.push(descriptor);
        }
        for (const def of defs) {
          const t = this.compile(def, problems);
          const all = this.roleTally.get(descriptor) ?? { roles: new Set<string>(), open: false };
          if (t.roles) t.roles.forEach((r) => all.roles.add(r));
          else all.open = true;
          this.roleTally.set(descriptor, all);
          // Done events are raised inside the macrostep; a guard on a transition that catches
          // one (onDone, or a wildcard) makes where the macrostep ends depend on context.
          if (
            t.guard &&
            !t.guard.configOnly &&
            doneEvents.some((e) => matchesEventDescriptor(e, descriptor))
          ) {
            dynamic = true;
          }
          if (def.actions.some((a) => this.raises(a))) dynamic = true;
        }
      }
      for (const def of node.always ?? []) {
        const t = this.compile(def, problems);
        if (t.guard && !t.guard.configOnly) dynamic = true;
        if (def.actions.some((a) => this.raises(a))) dynamic = true;
      }
      const initial = node.initial as { actions?: readonly unknown[] } | undefined;
      const entered = [...node.entry, ...node.exit, ...(initial?.actions ?? [])];
      if (entered.some((a) => this.raises(a))) dynamic = true;
    }
    if (problems.length) throw new MachineConfigError(this.id, problems);
    this.events = events;
    this.statePaths = paths;
    this.dynamicTarget = dynamic;
    const ctx = (machine.config as { context?: unknown }).context;
    this.defaultContext = ctx !== null && typeof ctx === 'object' ? ctx : {};
  }

  /** Whether some state of the machine declares a transition for this event type (wildcards included). */
  isKnownEvent(type: string): boolean {
    if (isInternalEventType(type)) return false;
    if (this.exact.has(type)) return true;
    for (const w of this.wildcards) if (matchesEventDescriptor(type, w)) return true;
    return false;
  }

  /**
   * Roles needed for an event whatever the state: the union of its transitions' `meta.roles` when
   * every transition of the event declares some; empty when one of them needs no role.
   */
  rolesAlwaysRequired(type: string): readonly string[] {
    const tally = this.roleTally.get(type);
    return tally && !tally.open && this.isDeclaredEvent(type) ? [...tally.roles] : [];
  }

  /** Whether this event type is one the machine names itself (plans for these are cached). */
  isDeclaredEvent(type: string): boolean {
    return this.exact.has(type) && !isInternalEventType(type);
  }

  /**
   * The transitions of `node` that match `type`, in XState's order: the exact match first, then
   * wildcard descriptors from the longest to the shortest (XState's `getCandidates`).
   */
  candidates(node: AnyStateNode, type: string): readonly CompiledTransition[] {
    let memo = this.candidateMemo.get(node);
    const hit = memo?.get(type);
    if (hit) return hit;
    const exact = node.transitions.get(type) ?? [];
    const wild = [...node.transitions.keys()]
      .filter((d) => d !== type && matchesEventDescriptor(type, d))
      .sort((a, b) => b.length - a.length)
      .flatMap((d) => node.transitions.get(d) ?? []);
    const result = [...exact, ...wild].map(
      (def) => this.compiled.get(def) ?? this.compile(def, []),
    );
    if (this.isDeclaredEvent(type)) {
      if (!memo) this.candidateMemo.set(node, (memo = new Map()));
      memo.set(type, result);
    }
    return result;
  }

  private compile(def: AnyTransition, problems: string[]): CompiledTransition {
    const known = this.compiled.get(def);
    if (known) return known;
    const where = `transition ${def.eventType || '(always)'} of state '${def.source.path.join('.') || '(root)'}'`;
    const compiled: CompiledTransition = {
      def,
      id: this.compiled.size,
      guard:
        def.guard === undefined
          ? undefined
          : compileGuard(def.guard, this.machine, problems, where),
      inert: def.target === undefined && def.actions.length === 0,
      roles: rolesOf(def),
    };
    this.compiled.set(def, compiled);
    return compiled;
  }

  /** Whether an action can raise an event inside the macrostep (and so change where it ends). */
  private raises(action: unknown, depth = 0): boolean {
    if (depth > 8 || action === undefined || action === null) return false;
    if (typeof action === 'string' || (typeof action === 'object' && 'type' in action)) {
      const name = typeof action === 'string' ? action : String(action.type);
      const impls = this.machine.implementations.actions as Record<string, unknown>;
      return Object.hasOwn(impls, name) && this.raises(impls[name], depth + 1);
    }
    if (typeof action === 'function') {
      const builtin = action as { type?: string; delay?: unknown };
      if (builtin.type === 'xstate.raise') return builtin.delay === undefined;
      return builtin.type === 'xstate.enqueueActions';
    }
    return false;
  }
}

function rolesOf(def: AnyTransition): readonly string[] | undefined {
  const roles = (def as { meta?: { roles?: unknown } }).meta?.roles;
  if (!Array.isArray(roles)) return undefined;
  const names = roles.filter((r): r is string => typeof r === 'string');
  return names.length ? names : undefined;
}

/** Reads a node's transitions (and returns them) so that XState, which resolves targets lazily, throws its errors now. */
export function touchTransitions(node: AnyStateNode): readonly unknown[] {
  return [node.transitions, node.always, node.initial];
}

/** Every state node, parents before children, in document order. */
export function allNodes(root: AnyStateNode): AnyStateNode[] {
  const out: AnyStateNode[] = [];
  const stack = [root];
  for (let node = stack.pop(); node; node = stack.pop()) {
    out.push(node);
    const children = Object.values(node.states as Record<string, AnyStateNode>);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return out;
}
