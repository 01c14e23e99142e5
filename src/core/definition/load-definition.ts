import { readFileSync } from 'node:fs';
import { and, not, or, setup, stateIn, type AnyStateMachine } from 'xstate';
import { z } from 'zod';
import { allNodes, touchTransitions } from '../machine-index.js';
import { MachineDefinitionError, type DefinitionIssue } from './definition-error.js';
import { buildTree, checkReferences, findForbiddenKeys } from './definition-checks.js';
import {
  machineDefinitionSchema,
  type GuardDefinition,
  type MachineDefinition,
  type StateDefinition,
  type TransitionDefinition,
} from './definition-schema.js';

/** A guard implementation: what XState passes to a named guard, and its params. */
export type GuardImplementation<TContext = Record<string, unknown>> = (
  args: {
    readonly context: TContext;
    readonly event: { readonly type: string } & Record<string, unknown>;
  },
  params?: unknown,
) => boolean;

/**
 * Guard and action implementations for the names a JSON definition uses, typed by the context the
 * guards read.
 *
 * @example
 * const implementations = {
 *   guards: { hasContent: ({ context }) => context.wordCount > 0 },
 * } satisfies MachineImplementations<{ wordCount: number }>;
 */
export interface MachineImplementations<TContext = Record<string, unknown>> {
  readonly guards?: Readonly<Record<string, GuardImplementation<TContext>>>;
  readonly actions?: Readonly<Record<string, unknown>>;
  /** Named delays of `after` (milliseconds, or a function of the context: read at commit time). */
  readonly delays?: Readonly<Record<string, number | ((args: { context: TContext }) => number)>>;
}

export interface LoadedMachine {
  readonly machine: AnyStateMachine;
  readonly definition: MachineDefinition;
  readonly source: string;
}

/**
 * Turns a parsed JSON machine definition into an XState machine, refusing anything wrong with
 * every problem listed (JSON path, code, fix): schema errors, `__proto__`/`constructor` keys,
 * unknown targets or initial states, guard and action names without an implementation,
 * duplicate ids, payload schemas that are not valid JSON Schema. Payload schemas become zod
 * schemas on `machine.schemas.events`, where `createValidator` finds them.
 *
 * @example
 * const { machine } = machineFromDefinition(json, { guards: { hasContent: ({ context }) => context.words > 0 } });
 * const articles = createValidator(machine);
 */
export function machineFromDefinition<TContext = Record<string, unknown>>(
  input: unknown,
  implementations: MachineImplementations<TContext> = {},
  source = 'machine definition',
): LoadedMachine {
  const forbidden = findForbiddenKeys(input);
  if (forbidden.length) throw new MachineDefinitionError(source, forbidden);
  const parsed = machineDefinitionSchema.safeParse(input);
  if (!parsed.success) {
    throw new MachineDefinitionError(
      source,
      parsed.error.issues.map((i) => ({
        path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
        code: 'schema' as const,
        message: i.message,
      })),
    );
  }
  const definition = parsed.data;
  const issues: DefinitionIssue[] = [];
  const tree = buildTree(definition, issues);
  checkReferences(
    tree,
    new Set(Object.keys(implementations.guards ?? {})),
    new Set(Object.keys(implementations.actions ?? {})),
    issues,
    new Set(Object.keys(implementations.delays ?? {})),
  );
  const payloads: Record<string, z.ZodType> = {};
  for (const [event, e] of Object.entries(definition.events ?? {})) {
    if (!e.payload) continue;
    try {
      payloads[event] = z.fromJSONSchema(e.payload as never);
    } catch (err) {
      issues.push({
        path: ['events', event, 'payload'],
        code: 'invalid-payload-schema',
        message: `not a JSON Schema zod can read: ${(err as Error).message}`,
      });
    }
  }
  if (issues.length) throw new MachineDefinitionError(source, issues);

  let machine: AnyStateMachine;
  try {
    machine = setup({
      guards: { ...implementations.guards } as never,
      actions: { ...implementations.actions } as never,
      delays: { ...implementations.delays } as never,
      schemas: { events: payloads },
    }).createMachine(toXStateConfig(definition) as never) as unknown as AnyStateMachine;
    // XState resolves targets lazily; touch every transition so its errors surface now.
    for (const node of allNodes(machine.root)) touchTransitions(node);
  } catch (err) {
    throw new MachineDefinitionError(source, [
      { path: [], code: 'xstate', message: (err as Error).message },
    ]);
  }
  return { machine, definition, source };
}

/**
 * Reads a `*.machine.json` file and loads it with {@link machineFromDefinition}. A file that does
 * not parse is refused with the JSON syntax error and the file name.
 *
 * @example
 * const { machine } = loadMachineDefinitionFile('machines/article.machine.json', { guards });
 */
export function loadMachineDefinitionFile<TContext = Record<string, unknown>>(
  file: string,
  implementations: MachineImplementations<TContext> = {},
): LoadedMachine {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? 'file not found'
        : err instanceof SyntaxError
          ? `not valid JSON: ${err.message}`
          : String(err);
    throw new MachineDefinitionError(file, [{ path: [], code: 'invalid-json', message }]);
  }
  return machineFromDefinition(json, implementations, file);
}

function toXStateConfig(def: MachineDefinition): Record<string, unknown> {
  const { $schema: _s, events: _e, ...rest } = def;
  return convertState(rest);
}

function convertState(state: StateDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = { ...state };
  if (state.states) {
    out.states = Object.fromEntries(
      Object.entries(state.states).map(([k, s]) => [k, convertState(s)]),
    );
  }
  if (state.on) {
    out.on = Object.fromEntries(
      Object.entries(state.on).map(([k, t]) => [k, convertTransition(t)]),
    );
  }
  if (state.always) out.always = convertTransition(state.always);
  if (state.onDone) out.onDone = convertTransition(state.onDone);
  if (state.after) {
    out.after = Object.fromEntries(
      Object.entries(state.after).map(([delay, t]) => [delay, convertTransition(t)]),
    );
  }
  return out;
}

function convertTransition(t: TransitionDefinition): unknown {
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.map(convertTransition);
  return t.guard === undefined ? t : { ...t, guard: convertGuard(t.guard) };
}

/** XState's guard argument type, as `and`/`or`/`not` take it. */
type XStateGuard = Parameters<typeof not>[0];

function convertGuard(g: GuardDefinition): XStateGuard {
  if (typeof g === 'string' || 'type' in g) return g as unknown as XStateGuard;
  if ('and' in g) return and(g.and.map(convertGuard));
  if ('or' in g) return or(g.or.map(convertGuard));
  if ('not' in g) return not(convertGuard(g.not));
  return stateIn(g.stateIn);
}
