import { toJSONSchema } from 'zod';
import type { AnyStateNode } from 'xstate';
import { allNodes, type MachineIndex } from './machine-index.js';
import { initialTargets } from './configuration.js';
import type { PayloadSchema } from './types.js';

/** A machine as data: what `GET /machines/:id` serves and what diagrams and tables are drawn from. */
export interface MachineDescription {
  readonly id: string;
  readonly type: string;
  readonly initial: string | undefined;
  readonly states: readonly {
    readonly path: string;
    readonly type: string;
    readonly initial?: string;
  }[];
  readonly events: readonly string[];
  readonly transitions: readonly {
    readonly from: string;
    readonly event: string;
    readonly to: readonly string[];
    readonly guard?: string;
    readonly roles?: readonly string[];
    readonly description?: string;
    /** A forbidden transition: no target, no actions; it stops the event bubbling. */
    readonly forbidden?: true;
  }[];
  /** JSON Schemas of the payloads, by event type (zod schemas only). */
  readonly payloads: Readonly<Record<string, unknown>>;
}

const pathOf = (node: AnyStateNode) => node.path.join('.') || '(root)';

export function describeMachine(
  index: MachineIndex,
  payloads: ReadonlyMap<string, PayloadSchema>,
): MachineDescription {
  const nodes = allNodes(index.root);
  const transitions: MachineDescription['transitions'][number][] = [];
  for (const node of nodes) {
    const all = [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
    for (const def of all) {
      const compiled = index.candidates(node, def.eventType).find((c) => c.def === def);
      const meta = (def as { meta?: { roles?: string[] }; description?: string }).meta;
      transitions.push({
        from: pathOf(node),
        event: def.eventType || '(always)',
        to: (def.target ?? []).map(pathOf),
        ...(compiled?.guard ? { guard: compiled.guard.name } : {}),
        ...(compiled?.inert ? { forbidden: true as const } : {}),
        ...(Array.isArray(meta?.roles) ? { roles: meta.roles } : {}),
        ...((def as { description?: string }).description
          ? { description: (def as { description?: string }).description }
          : {}),
      });
    }
  }
  const schemas: Record<string, unknown> = {};
  for (const [type, schema] of payloads) {
    try {
      schemas[type] = toJSONSchema(schema as never);
    } catch {
      // Not a zod schema (only safeParse): nothing to show.
    }
  }
  const initial = initialTargets(index.root)[0] as AnyStateNode | undefined;
  return {
    id: index.id,
    type: index.root.type,
    initial: initial ? pathOf(initial) : undefined,
    states: nodes
      .filter((n) => n !== index.root && n.type !== 'history')
      .map((n) => ({
        path: pathOf(n),
        type: n.type,
        ...(n.type === 'compound' && initialTargets(n).length
          ? { initial: pathOf(initialTargets(n)[0]) }
          : {}),
      })),
    events: index.events,
    transitions,
    payloads: schemas,
  };
}
