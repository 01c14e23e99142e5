import type { AnyStateMachine } from 'xstate';
import type { PayloadIssue, PayloadSchema } from './types.js';

/**
 * The payload schemas of a machine: those it declares in `setup({ schemas: { events } })`,
 * overridden by those given to `createValidator`.
 */
export function collectPayloadSchemas(
  machine: AnyStateMachine,
  given: Readonly<Record<string, PayloadSchema>> | undefined,
): Map<string, PayloadSchema> {
  const out = new Map<string, PayloadSchema>();
  const declared = (machine.schemas as { events?: Record<string, unknown> } | undefined)?.events;
  for (const source of [declared, given]) {
    if (!source) continue;
    for (const [type, schema] of Object.entries(source)) {
      if (isPayloadSchema(schema)) out.set(type, schema);
    }
  }
  return out;
}

export function isPayloadSchema(value: unknown): value is PayloadSchema {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { safeParse?: unknown }).safeParse === 'function'
  );
}

/** The payload of an event: the event object without its `type`. */
export function payloadOf(event: object | undefined): Record<string, unknown> {
  if (!event) return {};
  const { type: _type, ...payload } = event as Record<string, unknown>;
  return payload;
}

/** Validates a payload; returns the issues as plain data, or undefined when it is valid. Never throws. */
export function validatePayload(
  schema: PayloadSchema,
  event: object | undefined,
): PayloadIssue[] | undefined {
  let outcome: ReturnType<PayloadSchema['safeParse']>;
  try {
    outcome = schema.safeParse(payloadOf(event));
  } catch (err) {
    return [
      { code: 'custom', path: [], message: `payload could not be validated: ${String(err)}` },
    ];
  }
  if (outcome.success) return undefined;
  return (outcome.error?.issues ?? []).map((i) => ({
    code: i.code,
    path: i.path.map((p): string | number => (typeof p === 'symbol' ? String(p) : p)),
    message: i.message,
  }));
}
