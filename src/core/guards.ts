import {
  matchesState,
  type AnyStateMachine,
  type AnyStateNode,
  type EventObject,
  type StateValue,
} from 'xstate';

/** What a guard can see of the current configuration (for `stateIn`). */
export interface GuardScope {
  readonly value: StateValue;
  readonly nodes: ReadonlySet<AnyStateNode>;
  /** An XState snapshot of the configuration, for built-in guards this module does not know. */
  snapshot(): unknown;
}

export type GuardTest = (context: unknown, event: EventObject, scope: GuardScope) => boolean;

/** A guard turned into one function, with the name `blockedBy` reports. */
export interface CompiledGuard {
  readonly name: string;
  readonly test: GuardTest;
  /** True when the guard only looks at the configuration (`stateIn`), not at context or event. */
  readonly configOnly: boolean;
}

type GuardLike = string | { type: string; params?: unknown } | ((...args: never[]) => unknown);
type BuiltinGuard = ((...args: never[]) => unknown) & {
  check: (snapshot: unknown, args: unknown, self: unknown) => boolean;
  guards?: GuardLike[];
  stateValue?: StateValue;
};

const MAX_DEPTH = 32;

/**
 * Compiles a guard of a transition the way XState's `evaluateGuard` reads it: inline functions,
 * named guards (with static or dynamic `params`), named guards whose implementation is itself a
 * guard, and the built-ins `and`, `or`, `not` and `stateIn`. Problems found (a name with no
 * implementation) are pushed to `problems` so that all of them can be reported at once.
 */
export function compileGuard(
  guard: GuardLike,
  machine: AnyStateMachine,
  problems: string[],
  where: string,
  depth = 0,
): CompiledGuard {
  if (depth > MAX_DEPTH) {
    problems.push(`${where}: guard definitions nest deeper than ${MAX_DEPTH} levels (a cycle?)`);
    return { name: 'cycle', test: () => false, configOnly: true };
  }
  if (typeof guard === 'function') {
    if ('check' in guard)
      return compileBuiltin(guard as BuiltinGuard, machine, problems, where, depth);
    const fn = guard as (
      args: { context: unknown; event: EventObject },
      params: unknown,
    ) => unknown;
    const name = fn.name && fn.name !== 'guard' ? fn.name : 'inline';
    return {
      name,
      test: (context, event) => !!fn({ context, event }, undefined),
      configOnly: false,
    };
  }
  // A JavaScript caller may give anything: read `type` defensively.
  const type: unknown =
    typeof guard === 'string' ? guard : (guard as { type?: unknown } | null)?.type;
  if (typeof type !== 'string') {
    problems.push(`${where}: a guard must be a name, { type, params } or a function`);
    return { name: 'invalid', test: () => false, configOnly: true };
  }
  const guards = machine.implementations.guards as Record<string, unknown>;
  const impl = Object.hasOwn(guards, type) ? guards[type] : undefined;
  if (impl === undefined) {
    problems.push(
      `${where}: guard '${type}' is not implemented. Provide it in setup({ guards: { ${type}: ... } }) ` +
        `or machine.provide({ guards })`,
    );
    return { name: type, test: () => false, configOnly: true };
  }
  if (typeof impl !== 'function') {
    // XState evaluates a non-function implementation as a guard in its own right (params dropped).
    const inner = compileGuard(impl as GuardLike, machine, problems, where, depth + 1);
    return { ...inner, name: type };
  }
  if ('check' in impl) {
    return { ...compileBuiltin(impl as BuiltinGuard, machine, problems, where, depth), name: type };
  }
  const params = typeof guard === 'object' && 'params' in guard ? guard.params : undefined;
  const implFn = impl as (args: unknown, params: unknown) => unknown;
  const test: GuardTest =
    typeof params === 'function'
      ? (context, event) =>
          !!implFn({ context, event }, (params as (args: unknown) => unknown)({ context, event }))
      : (context, event) => !!implFn({ context, event }, params);
  return { name: type, test, configOnly: false };
}

function compileBuiltin(
  guard: BuiltinGuard,
  machine: AnyStateMachine,
  problems: string[],
  where: string,
  depth: number,
): CompiledGuard {
  const kind = guard.name;
  if ((kind === 'and' || kind === 'or' || kind === 'not') && Array.isArray(guard.guards)) {
    const inner = guard.guards.map((g) => compileGuard(g, machine, problems, where, depth + 1));
    const tests = inner.map((g) => g.test);
    const name = `${kind}(${inner.map((g) => g.name).join(', ')})`;
    const configOnly = inner.every((g) => g.configOnly);
    if (kind === 'not') {
      const only = tests[0];
      return { name, test: (c, e, s) => !only(c, e, s), configOnly };
    }
    if (kind === 'and')
      return { name, test: (c, e, s) => tests.every((t) => t(c, e, s)), configOnly };
    return { name, test: (c, e, s) => tests.some((t) => t(c, e, s)), configOnly };
  }
  if (kind === 'stateIn' && guard.stateValue !== undefined) {
    const target = guard.stateValue;
    const name = `stateIn(${typeof target === 'string' ? target : JSON.stringify(target)})`;
    if (typeof target === 'string' && target.startsWith('#')) {
      let node: AnyStateNode | undefined;
      try {
        node = machine.getStateNodeById(target);
      } catch {
        problems.push(`${where}: ${name} names no state of the machine`);
      }
      return {
        name,
        test: (_c, _e, s) => node !== undefined && s.nodes.has(node),
        configOnly: true,
      };
    }
    return { name, test: (_c, _e, s) => matchesState(target, s.value), configOnly: true };
  }
  // A built-in this module does not know: let XState evaluate it against a real snapshot.
  return {
    name: kind || 'builtin',
    test: (context, event, s) => guard.check(s.snapshot(), { context, event }, guard),
    configOnly: false,
  };
}
