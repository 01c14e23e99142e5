import type { AnyStateMachine, EventObject, StateValue } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { createValidator, type StoredState, type TransitionResult } from '../core/index.js';
import { formatState, toStoredState } from '../core/state-value.js';

/** An event with its payload, as the API's events route takes it. */
export type ContractEvent = { readonly type: string } & Readonly<Record<string, unknown>>;

/** What one request answered. */
export interface HttpAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface HttpContractOptions {
  readonly machine: AnyStateMachine;
  /** Creates a fresh resource on the live API, in the machine's initial state; its id. */
  readonly create: () => Promise<string>;
  /** Sends `event` (`{ type, ...payload }`) to resource `id` over HTTP. */
  readonly send: (id: string, event: ContractEvent) => Promise<HttpAnswer>;
  /** The events to try, with their payloads: the machine's paths are walked with them too. */
  readonly events: readonly ContractEvent[];
  /** The context a created resource starts with (default: the machine's initial context). */
  readonly context?: Record<string, unknown>;
}

/** One event that the API answered otherwise than the machine says it should. */
export interface ContractMismatch {
  readonly state: StoredState;
  readonly path: readonly string[];
  readonly event: string;
  readonly expected: string;
  readonly actual: string;
}

export interface ContractReport {
  /** The states reached (one shortest path each). */
  readonly states: readonly StoredState[];
  /** Events checked (states x events). */
  readonly checked: number;
  readonly mismatches: readonly ContractMismatch[];
}

/**
 * A model-based contract test of a live HTTP API against its machine: walks the shortest path
 * (XState's `getShortestPaths`) to every reachable state, on a fresh resource each time, then
 * sends every event and checks the answer is what the machine says: a 2xx where it allows the
 * event, a 409 with the machine's `reason` (400 for an invalid payload) where it refuses.
 *
 * @example
 * const report = await verifyHttpContract({
 *   machine: orderMachine,
 *   context: { total: 100, paid: 0 },
 *   create: async () => String((await post('/orders', { total: 100 })).body.id),
 *   send: (id, { type, ...payload }) => post(`/orders/${id}/events`, { type, ...payload }),
 *   events: [{ type: 'PAY', amount: 100 }, { type: 'SHIP', carrier: 'UPS', trackingNumber: '1Z' }, { type: 'CANCEL' }],
 * });
 * expect(report.mismatches).toEqual([]);
 */
export async function verifyHttpContract(options: HttpContractOptions): Promise<ContractReport> {
  const { machine, events } = options;
  const validator = createValidator(machine);
  const start = machine.getInitialSnapshot({} as never) as { value: StateValue; context: object };
  const initial = machine.resolveState({
    value: start.value,
    context: options.context ?? start.context,
  });
  const paths = getShortestPaths(machine, {
    events: [...events] as never,
    fromState: initial as never,
    serializeState: (snapshot: { value: unknown }) => JSON.stringify(snapshot.value),
  } as never) as { state: { value: unknown; context: unknown }; steps: { event: EventObject }[] }[];
  const mismatches: ContractMismatch[] = [];
  let checked = 0;
  const states: StoredState[] = [];
  for (const path of paths) {
    const state = toStoredState(path.state.value as never);
    states.push(state);
    const steps = path.steps.map((s) => s.event).filter((e) => !e.type.startsWith('xstate.'));
    for (const event of events) {
      checked++;
      const id = await options.create();
      const reached = await walk(options, id, steps);
      if (reached) {
        mismatches.push({
          state,
          path: steps.map((s) => s.type),
          event: event.type,
          expected: 'to reach the state',
          actual: reached,
        });
        continue;
      }
      const expected = validator.check({ state, context: path.state.context }, event);
      const answer = await options.send(id, event);
      const problem = disagreement(expected, answer);
      if (problem) {
        mismatches.push({ state, path: steps.map((s) => s.type), event: event.type, ...problem });
      }
    }
  }
  return { states, checked, mismatches };
}

/** Sends the path's events; a description of the first one not answered 2xx, or undefined. */
async function walk(options: HttpContractOptions, id: string, steps: readonly EventObject[]) {
  for (const step of steps) {
    const answer = await options.send(id, step);
    if (answer.status < 200 || answer.status >= 300) {
      return `${step.type} on the way answered ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`;
    }
  }
  return undefined;
}

function disagreement(
  expected: TransitionResult,
  answer: HttpAnswer,
): { expected: string; actual: string } | undefined {
  const body = (answer.body ?? {}) as { reason?: unknown; code?: unknown };
  const actual =
    `${answer.status} ${typeof body.code === 'string' ? body.code : ''} ${typeof body.reason === 'string' ? body.reason : ''}`.trim();
  if (expected.allowed) {
    return answer.status >= 200 && answer.status < 300
      ? undefined
      : { expected: `2xx (to ${formatState(expected.to)})`, actual };
  }
  if (expected.reason === 'invalid-payload' || expected.reason === 'unknown-event') {
    return answer.status === 400 ? undefined : { expected: `400 (${expected.reason})`, actual };
  }
  return answer.status === 409 && body.reason === expected.reason
    ? undefined
    : { expected: `409 ${expected.reason}`, actual };
}
