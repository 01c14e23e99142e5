import type { RefusedTransition, StoredState } from './types.js';
import { describeRefusal } from './messages.js';
import { formatState } from './state-value.js';

/**
 * Thrown by `validator.assert()` when a transition is refused. Carries the refusal as `result`,
 * so a caller can render `reason`, `allowedEvents` and `blockedBy`.
 *
 * @example
 * try {
 *   createValidator(orderMachine).assert({ state: 'cancelled' }, 'SHIP');
 * } catch (err) {
 *   if (err instanceof IllegalTransitionError) console.log(err.result.reason); // 'final-state'
 * }
 */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly result: RefusedTransition,
    readonly machineName: string,
  ) {
    super(describeRefusal(result, machineName));
  }
}

/**
 * A stored state that the machine does not have. This is a server-side data problem (a row
 * written by an older machine, a typo in a migration), never the client's fault.
 *
 * @example
 * createValidator(orderMachine).check({ state: 'shiped' }, 'PAY');
 * // throws UnknownStateError: Stored state 'shiped' is not a state of machine 'order' ... Migrate the row or add the state.
 */
export class UnknownStateError extends Error {
  override readonly name = 'UnknownStateError';
  constructor(
    readonly machineId: string,
    readonly state: unknown,
    readonly validStates: readonly string[],
    detail?: string,
  ) {
    const shown = validStates.slice(0, 20).join(', ');
    const more = validStates.length > 20 ? `, ... (${validStates.length - 20} more)` : '';
    super(
      `Stored state ${formatState(state)} is not a state of machine '${machineId}'` +
        `${detail ? ` (${detail})` : ''} (valid: ${shown}${more}). Migrate the row or add the state.`,
    );
  }
}

/** A guard threw while being evaluated. The cause is kept; this is a server-side fault. *
 * @example
 * try {
 *   validator.check({ state: 'closed', context: {} }, 'LOCK');
 * } catch (err) {
 *   if (err instanceof GuardEvaluationError) logger.error(err.message, (err.cause as Error).stack);
 * }
 */
export class GuardEvaluationError extends Error {
  override readonly name = 'GuardEvaluationError';
  constructor(
    readonly guard: string,
    readonly event: string,
    readonly state: StoredState,
    options: { cause: unknown },
  ) {
    super(
      `Guard '${guard}' threw while checking ${event} in state ${formatState(state)}: ` +
        (options.cause instanceof Error ? options.cause.message : String(options.cause)),
      options,
    );
  }
}

/**
 * XState could not compute where an allowed transition leads, with the machine's actions or
 * without them (an eventless guard that throws, for example). A server-side fault, like a guard
 * that throws; `explain()` then leaves `to` out instead.
 *
 * @example
 * try {
 *   validator.check({ state: 'a' }, 'GO');
 * } catch (err) {
 *   if (err instanceof TargetEvaluationError) logger.error(err.message);
 * }
 */
export class TargetEvaluationError extends Error {
  override readonly name = 'TargetEvaluationError';
  constructor(
    readonly event: string,
    readonly state: StoredState,
  ) {
    super(
      `XState could not compute where ${event} leads from state ${formatState(state)}, with the machine's actions or without them`,
    );
  }
}

/** The machine cannot be validated as given (a guard name with no implementation, for example). *
 * @example
 * createValidator(setup({}).createMachine({ initial: 'a', states: { a: { on: { GO: { target: 'a', guard: 'isReady' } } } } }));
 * // throws MachineConfigError: Machine '(machine)' cannot be checked: guard 'isReady' is not implemented ...
 */
export class MachineConfigError extends Error {
  override readonly name = 'MachineConfigError';
  constructor(
    readonly machineId: string,
    readonly problems: readonly string[],
  ) {
    super(`Machine '${machineId}' cannot be checked:\n- ${problems.join('\n- ')}`);
  }
}
