import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { compileGuard } from '../guards.js';
import type { DefinitionIssue } from '../definition/definition-error.js';
import { allNodes, touchTransitions } from '../machine-index.js';
import { initialTargets } from '../configuration.js';
import { isInternalEventType, isWildcardDescriptor } from '../event-descriptor.js';

/** The definition loader's codes (a load failure becomes `load-error`), and the lint's own. */
export type FindingCode =
  | Exclude<DefinitionIssue['code'], 'invalid-json' | 'xstate'>
  | 'load-error'
  | 'orphan-payload'
  | 'unreachable-state'
  | 'dead-end'
  | 'unused-event'
  /** The machine changed since its lock file was written (`transition-guard lock`). */
  | 'lock-outdated'
  /** No lock file next to the machine file (with `check --require-lock`). */
  | 'lock-missing'
  /** `after` transitions, and no resource with a store among the checked files runs the machine. */
  | 'timers-without-store';

/** One thing wrong (error) or suspicious (warning) in a machine, with the path of the node. */
export interface Finding {
  readonly severity: 'error' | 'warning';
  readonly code: FindingCode;
  /** Where, as a JSON path into the definition: `states.paid.on.SHIP`. */
  readonly path: string;
  readonly message: string;
}

/**
 * Findings that are suspicious rather than wrong. An unreachable state and a non-final dead end
 * are errors: a machine with them does not do what its author meant.
 */
const WARNINGS = new Set<FindingCode>(['unused-event', 'timers-without-store']);

export function finding(code: FindingCode, path: string, message: string): Finding {
  return { severity: WARNINGS.has(code) ? 'warning' : 'error', code, path, message };
}

/** `states.review.states.in_review`, the JSON path of a state node. */
export function nodePath(node: AnyStateNode): string {
  return node.path.length ? node.path.map((k: string) => `states.${k}`).join('.') : '(root)';
}

const children = (n: AnyStateNode) =>
  (Object.values(n.states) as AnyStateNode[]).filter((c) => c.type !== 'history');

/**
 * Structural checks of a built machine: unreachable states (from the initial state, through nested
 * and parallel structure), dead ends (non-final states nothing leads out of), events no reachable
 * state accepts, payload schemas for events the machine never accepts, and guard or action names
 * without an implementation. Unknown targets surface as XState errors.
 *
 * @example
 * lintMachine(orderMachine).filter((f) => f.severity === 'error');
 */
export function lintMachine(
  machine: AnyStateMachine,
  options: { checkImplementations?: boolean } = {},
): Finding[] {
  const out: Finding[] = [];
  let nodes: AnyStateNode[];
  try {
    nodes = allNodes(machine.root);
    for (const n of nodes) touchTransitions(n);
  } catch (err) {
    return [finding('unknown-target', '(root)', (err as Error).message.replace(/\s+/g, ' '))];
  }

  // Reachability over state nodes: what the initial state enters, then what transitions target.
  const reached = new Set<AnyStateNode>();
  const enter = (node: AnyStateNode) => {
    if (reached.has(node)) return;
    reached.add(node);
    if (node.type === 'compound') for (const t of initialTargets(node)) enterTarget(t, node);
    if (node.type === 'parallel') children(node).forEach(enter);
    if (node.type === 'history' && node.parent) enter(node.parent);
  };
  const enterTarget = (target: AnyStateNode, upTo?: AnyStateNode) => {
    enter(target);
    for (let m = target.parent; m && m !== upTo; m = m.parent) {
      reached.add(m);
      if (m.type === 'parallel') children(m).forEach(enter);
    }
  };
  enter(machine.root);
  for (const node of reached) {
    const defs = [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
    for (const def of defs) for (const target of def.target ?? []) enterTarget(target);
  }
  for (const node of nodes) {
    if (node === machine.root || node.type === 'history') continue;
    if (!reached.has(node)) {
      out.push(
        finding(
          'unreachable-state',
          nodePath(node),
          `state '${node.path.join('.')}' is unreachable from the initial state: no transition or initial state leads to it. Add a transition to it or remove it`,
        ),
      );
    } else if (node.type === 'atomic') {
      let exits = false;
      for (let m: AnyStateNode | undefined = node; m && !exits; m = m.parent)
        exits = m.transitions.size > 0 || !!m.always?.length;
      if (!exits) {
        out.push(
          finding(
            'dead-end',
            nodePath(node),
            `state '${node.path.join('.')}' is not final but nothing leads out of it (no transition here or on an ancestor). Mark it { type: 'final' } or add a way out`,
          ),
        );
      }
    }
  }

  // Events: accepted by some reachable state with a non-forbidden transition?
  const byEvent = new Map<string, { reachable: boolean; moves: boolean }>();
  for (const node of nodes) {
    for (const [descriptor, defs] of node.transitions) {
      if (isWildcardDescriptor(descriptor) || isInternalEventType(descriptor)) continue;
      const e = byEvent.get(descriptor) ?? { reachable: false, moves: false };
      if (reached.has(node)) {
        e.reachable = true;
        if (defs.some((d) => d.target !== undefined || d.actions.length)) e.moves = true;
      }
      byEvent.set(descriptor, e);
    }
  }
  for (const [event, e] of byEvent) {
    if (!e.reachable)
      out.push(
        finding(
          'unused-event',
          `on.${event}`,
          `event '${event}' is handled only by unreachable states: no state the machine can be in accepts it`,
        ),
      );
    else if (!e.moves)
      out.push(
        finding(
          'unused-event',
          `on.${event}`,
          `event '${event}' is only ever forbidden: no state accepts it`,
        ),
      );
  }
  const payloads =
    (machine.schemas as { events?: Record<string, unknown> } | undefined)?.events ?? {};
  for (const event of Object.keys(payloads)) {
    if (!byEvent.has(event)) {
      out.push(
        finding(
          'orphan-payload',
          `schemas.events.${event}`,
          `a payload schema is declared for '${event}', which no state of the machine accepts (events: ${[...byEvent.keys()].join(', ')}). Fix the event name or remove the schema`,
        ),
      );
    }
  }

  if (options.checkImplementations !== false) {
    const actions = machine.implementations.actions as Record<string, unknown>;
    for (const node of nodes) {
      for (const [descriptor, defs] of [
        ...node.transitions,
        ['(always)', node.always ?? []] as const,
      ]) {
        (defs as typeof node.always & object).forEach((def) => {
          const where = `${nodePath(node)}.on.${descriptor}`;
          if (def.guard !== undefined) {
            const problems: string[] = [];
            compileGuard(def.guard, machine, problems, where);
            for (const p of problems)
              out.push(finding('unknown-guard', where, p.slice(where.length + 2)));
          }
          for (const a of def.actions) {
            const name =
              typeof a === 'string'
                ? a
                : typeof a === 'object' && 'type' in a
                  ? String((a as { type: unknown }).type)
                  : undefined;
            if (name && !name.startsWith('xstate.') && !Object.hasOwn(actions, name)) {
              out.push(
                finding(
                  'unknown-action',
                  where,
                  `action '${name}' is not implemented. Provide it in setup({ actions }) or fix the name`,
                ),
              );
            }
          }
        });
      }
    }
  }
  return out;
}
