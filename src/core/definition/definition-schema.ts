import { z } from 'zod';

/**
 * The JSON form of a machine definition (`*.machine.json`): a JSON-serialisable XState v5 config
 * as Stately exports it, plus `events` for payload schemas (JSON Schema). Guards and actions are
 * named; their implementations are given in code when the file is loaded. Composite guards are
 * written `{ "and": [...] }`, `{ "or": [...] }`, `{ "not": ... }`, `{ "stateIn": "#id" }`.
 */
export type GuardDefinition =
  | string
  | { type: string; params?: Record<string, unknown> }
  | { and: GuardDefinition[] }
  | { or: GuardDefinition[] }
  | { not: GuardDefinition }
  | { stateIn: string };

export interface TransitionObjectDefinition {
  target?: string | string[];
  guard?: GuardDefinition;
  actions?: string | string[];
  reenter?: boolean;
  description?: string;
  /** Free-form; `roles` is read by the NestJS guard (a 403 when the caller lacks all of them). */
  meta?: { roles?: string[]; [key: string]: unknown };
}

export type TransitionDefinition =
  string | TransitionObjectDefinition | (string | TransitionObjectDefinition)[];

export interface StateDefinition {
  id?: string;
  type?: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  initial?: string;
  history?: 'shallow' | 'deep';
  target?: string;
  states?: Record<string, StateDefinition>;
  on?: Record<string, TransitionDefinition>;
  always?: TransitionDefinition;
  onDone?: TransitionDefinition;
  /**
   * Transitions taken when the state has been active this long: keys are milliseconds (`"3600000"`)
   * or the name of a delay the implementations give (`"PAYMENT_WINDOW"`). Durable timers fire them
   * (docs/timers.md).
   */
  after?: Record<string, TransitionDefinition>;
  entry?: string | string[];
  exit?: string | string[];
  tags?: string[];
  description?: string;
  meta?: Record<string, unknown>;
}

export interface EventDefinition {
  description?: string;
  /** A JSON Schema for the payload (the event without `type`), turned into zod at load. */
  payload?: Record<string, unknown>;
}

export interface MachineDefinition extends Omit<StateDefinition, 'history' | 'target'> {
  $schema?: string;
  id: string;
  version?: string;
  context?: Record<string, unknown>;
  events?: Record<string, EventDefinition>;
}

const stateKey = z
  .string()
  .min(1)
  .max(100)
  .regex(
    /^[A-Za-z_][A-Za-z0-9_-]*$/,
    'a state key is letters, digits, _ and -, not starting with a digit',
  );
const eventName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9_.*:-]+$/, 'an event type is letters, digits and _ . * : -')
  .refine(
    (s) => !s.startsWith('xstate.'),
    'xstate.* events are XState internals; use onDone or after',
  );
/** An `after` key: milliseconds, or the name of a delay of the implementations. */
const delayKey = z
  .string()
  .regex(
    /^(?:0|[1-9][0-9]{0,9}|[A-Za-z_][A-Za-z0-9_]{0,63})$/,
    'a delay: milliseconds (digits) or the name of a delay in the implementations (letters, digits, _)',
  );

const names = z.union([z.string().min(1), z.array(z.string().min(1))]);

export const guardDefinitionSchema: z.ZodType<GuardDefinition> = z.lazy(() =>
  z.union([
    z.string().min(1),
    z.strictObject({
      type: z.string().min(1),
      params: z.record(z.string(), z.unknown()).optional(),
    }),
    z.strictObject({ and: z.array(guardDefinitionSchema).min(1) }),
    z.strictObject({ or: z.array(guardDefinitionSchema).min(1) }),
    z.strictObject({ not: guardDefinitionSchema }),
    z.strictObject({ stateIn: z.string().min(1) }),
  ]),
);

const transitionObject = z.strictObject({
  target: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  guard: guardDefinitionSchema.optional(),
  actions: names.optional(),
  reenter: z.boolean().optional(),
  description: z.string().optional(),
  meta: z.looseObject({ roles: z.array(z.string().min(1)).optional() }).optional(),
});

export const transitionDefinitionSchema: z.ZodType<TransitionDefinition> = z.union([
  z.string().min(1),
  transitionObject,
  z.array(z.union([z.string().min(1), transitionObject])),
]);

const stateFields = {
  id: z.string().min(1).max(200).optional(),
  type: z.enum(['atomic', 'compound', 'parallel', 'final', 'history']).optional(),
  initial: z.string().min(1).optional(),
  get states() {
    return z.record(stateKey, stateDefinitionSchema).optional();
  },
  on: z.record(eventName, transitionDefinitionSchema).optional(),
  always: transitionDefinitionSchema.optional(),
  onDone: transitionDefinitionSchema.optional(),
  after: z.record(delayKey, transitionDefinitionSchema).optional(),
  entry: names.optional(),
  exit: names.optional(),
  tags: z.array(z.string()).optional(),
  description: z.string().optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
};

export const stateDefinitionSchema: z.ZodType<StateDefinition> = z.lazy(() =>
  z.strictObject({
    ...stateFields,
    history: z.enum(['shallow', 'deep']).optional(),
    target: z.string().optional(),
  }),
);

export const machineDefinitionSchema: z.ZodType<MachineDefinition> = z.strictObject({
  ...stateFields,
  $schema: z.string().optional(),
  id: stateKey,
  version: z.string().optional(),
  context: z.record(z.string(), z.unknown()).optional(),
  events: z
    .record(
      eventName,
      z.strictObject({
        description: z.string().optional(),
        payload: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .optional(),
});
