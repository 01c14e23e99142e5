import type { DefinitionIssue } from './definition-error.js';
import type {
  GuardDefinition,
  MachineDefinition,
  StateDefinition,
  TransitionDefinition,
  TransitionObjectDefinition,
} from './definition-schema.js';

type Path = (string | number)[];

/** A state of a definition, with what target resolution needs. */
export interface DefinitionNode {
  readonly key: string;
  readonly id: string;
  readonly def: StateDefinition;
  readonly parent: DefinitionNode | undefined;
  readonly children: Map<string, DefinitionNode>;
  readonly jsonPath: Path;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Keys that would reach an object's prototype if any code indexed with them. Refused anywhere. */
export function findForbiddenKeys(
  value: unknown,
  path: Path = [],
  out: DefinitionIssue[] = [],
): DefinitionIssue[] {
  if (Array.isArray(value)) value.forEach((v, i) => findForbiddenKeys(v, [...path, i], out));
  else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        out.push({
          path: [...path, key],
          code: 'forbidden-key',
          message: `the key '${key}' is not allowed; rename it`,
        });
      } else findForbiddenKeys((value as Record<string, unknown>)[key], [...path, key], out);
    }
  }
  return out;
}

/** Builds the state tree of a definition (ids as XState assigns them) and reports duplicate ids. */
export function buildTree(def: MachineDefinition, issues: DefinitionIssue[]) {
  const byId = new Map<string, DefinitionNode>();
  const all: DefinitionNode[] = [];
  const visit = (
    key: string,
    d: StateDefinition,
    parent: DefinitionNode | undefined,
    path: string[],
    jsonPath: Path,
  ) => {
    const id = d.id ?? [def.id, ...path].join('.');
    const node: DefinitionNode = { key, id, def: d, parent, children: new Map(), jsonPath };
    const clash = byId.get(id);
    if (clash) {
      issues.push({
        path: [...jsonPath, ...(d.id ? ['id'] : [])],
        code: 'duplicate-id',
        message: `id '${id}' is already used by the state at ${clash.jsonPath.join('.') || '(root)'}; ids must be unique: rename one`,
      });
    } else byId.set(id, node);
    all.push(node);
    for (const [k, child] of Object.entries(d.states ?? {})) {
      node.children.set(k, visit(k, child, node, [...path, k], [...jsonPath, 'states', k]));
    }
    return node;
  };
  const root = visit(def.id, def, undefined, [], []);
  return { root, byId, all };
}

/** Every transition of a state, with its JSON path: `on`, `always`, `onDone`, `after`. */
export function transitionsOf(
  node: DefinitionNode,
): { t: TransitionObjectDefinition; path: Path; event: string }[] {
  const out: { t: TransitionObjectDefinition; path: Path; event: string }[] = [];
  const add = (value: TransitionDefinition | undefined, path: Path, event: string) => {
    if (value === undefined) return;
    const list = Array.isArray(value) ? value : [value];
    list.forEach((item, i) => {
      const t = typeof item === 'string' ? { target: item } : item;
      out.push({ t, path: Array.isArray(value) ? [...path, i] : path, event });
    });
  };
  for (const [event, value] of Object.entries(node.def.on ?? {}))
    add(value, [...node.jsonPath, 'on', event], event);
  add(node.def.always, [...node.jsonPath, 'always'], '(always)');
  add(node.def.onDone, [...node.jsonPath, 'onDone'], '(onDone)');
  for (const [delay, value] of Object.entries(node.def.after ?? {}))
    add(value, [...node.jsonPath, 'after', delay], `(after ${delay})`);
  return out;
}

/** Resolves a target as XState's `resolveTarget` does; returns the node or a message saying why not. */
export function resolveTarget(
  source: DefinitionNode,
  target: string,
  byId: Map<string, DefinitionNode>,
): DefinitionNode | string {
  if (target.startsWith('#')) {
    return (
      byId.get(target.slice(1)) ??
      `no state has id '${target.slice(1)}' (ids: ${[...byId.keys()].slice(0, 15).join(', ')})`
    );
  }
  if (target.startsWith('.')) return byPath(source, target.slice(1));
  if (!source.parent)
    return `'${target}' is not a valid target from the root; did you mean '.${target}'?`;
  return byPath(source.parent, target);
}

function byPath(from: DefinitionNode, path: string): DefinitionNode | string {
  let node = from;
  for (const segment of path.split('.')) {
    const next = node.children.get(segment);
    if (!next) {
      const known = [...node.children.keys()];
      return `no state '${segment}' in '${node.id}' (states there: ${known.join(', ') || 'none'})`;
    }
    node = next;
  }
  return node;
}

/** Guard names used by a guard definition (composites walked). */
export function guardNames(guard: GuardDefinition): string[] {
  if (typeof guard === 'string') return [guard];
  if ('type' in guard) return [guard.type];
  if ('and' in guard) return guard.and.flatMap(guardNames);
  if ('or' in guard) return guard.or.flatMap(guardNames);
  if ('not' in guard) return guardNames(guard.not);
  return [];
}

/** Checks targets, initial states, guard and action names. Pushes every problem found. */
export function checkReferences(
  tree: ReturnType<typeof buildTree>,
  guards: ReadonlySet<string>,
  actions: ReadonlySet<string>,
  issues: DefinitionIssue[],
  delays: ReadonlySet<string> = new Set(),
): void {
  const actionNames = (v: string | string[] | undefined) =>
    v === undefined ? [] : Array.isArray(v) ? v : [v];
  for (const node of tree.all) {
    const d = node.def;
    const compound = node.children.size > 0 && d.type !== 'parallel';
    if (d.initial !== undefined && !node.children.has(d.initial)) {
      issues.push({
        path: [...node.jsonPath, 'initial'],
        code: 'unknown-initial',
        message: `initial '${d.initial}' is not a child of '${node.id}' (children: ${[...node.children.keys()].join(', ') || 'none'})`,
      });
    } else if (compound && d.initial === undefined && d.type !== 'history') {
      issues.push({
        path: node.jsonPath,
        code: 'missing-initial',
        message: `compound state '${node.id}' has no initial state; add { "initial": "${[...node.children.keys()][0]}" }`,
      });
    }
    for (const [field, value] of [
      ['entry', d.entry],
      ['exit', d.exit],
    ] as const) {
      actionNames(value).forEach((name) => {
        if (!actions.has(name)) {
          issues.push({
            path: [...node.jsonPath, field],
            code: 'unknown-action',
            message: unknownImpl('action', name, actions),
          });
        }
      });
    }
    for (const delay of Object.keys(d.after ?? {})) {
      if (!/^[0-9]+$/.test(delay) && !delays.has(delay)) {
        issues.push({
          path: [...node.jsonPath, 'after', delay],
          code: 'unknown-delay',
          message: unknownImpl('delay', delay, delays),
        });
      }
    }
    for (const { t, path } of transitionsOf(node)) {
      for (const target of t.target === undefined
        ? []
        : Array.isArray(t.target)
          ? t.target
          : [t.target]) {
        const resolved = resolveTarget(node, target, tree.byId);
        if (typeof resolved === 'string') {
          issues.push({
            path: [...path, 'target'],
            code: 'unknown-target',
            message: `unknown target '${target}': ${resolved}. Fix the target or add the state`,
          });
        }
      }
      for (const name of t.guard === undefined ? [] : guardNames(t.guard)) {
        if (!guards.has(name))
          issues.push({
            path: [...path, 'guard'],
            code: 'unknown-guard',
            message: unknownImpl('guard', name, guards),
          });
      }
      for (const name of actionNames(t.actions)) {
        if (!actions.has(name))
          issues.push({
            path: [...path, 'actions'],
            code: 'unknown-action',
            message: unknownImpl('action', name, actions),
          });
      }
    }
  }
}

function unknownImpl(
  kind: 'guard' | 'action' | 'delay',
  name: string,
  known: ReadonlySet<string>,
): string {
  return (
    `${kind} '${name}' has no implementation (known: ${[...known].join(', ') || 'none'}); ` +
    `pass it in the ${kind}s given to the loader, or fix the name`
  );
}
