import type { Logger } from '@nestjs/common';
import type { StoredState } from '../../core/index.js';
import { sameState } from '../../core/state-value.js';
import { etagFor } from '../../http/index.js';
import type { StoredResource } from '../../store/index.js';
import { IllegalTransitionException } from '../errors/illegal-transition.exception.js';
import { PreconditionFailedException } from '../errors/precondition.exceptions.js';
import type { ResolvedTransitionGuardOptions } from '../definition/options.js';
import type { RegisteredResource } from '../definition/transition-registry.js';
import type { CheckedTransition } from '../definition/checked-transition.js';
import { checkTransition } from '../checks/check-transition.js';

/**
 * The commit's second look at a row that is not as the guard saw it (a lost race, or the row as
 * a pessimistic commit finds it under its lock): the state to commit from and its target, or the
 * answer to give. The client pinned the version (If-Match, expectedVersion): 412 / 409
 * version-mismatch. The event is no longer legal: 409 stale-state. It is legal from a state other
 * than the one checked and `retryWhen` is 'same-state', or `attempt` is past `maxRetries`: 409
 * stale-state too. The row is now in a state the machine does not have (moved by a migration
 * meanwhile): 409 unknown-state, as the guard answers it.
 */
export function recheck(
  entry: RegisteredResource,
  t: CheckedTransition<unknown, unknown, object>,
  current: StoredResource,
  rules: {
    checkedState: StoredState;
    checkedVersion: number | undefined;
    attempt: number;
    pinned: 'if-match' | 'expected-version' | undefined;
    commit: ResolvedTransitionGuardOptions['commit'];
  },
  logger: Logger,
): { from: StoredState; to: StoredState } {
  const input = { state: current.state, context: current.context };
  // First: it also tells whether the machine knows the state the row is in now.
  const result = checkTransition(
    entry,
    t.id,
    input,
    { type: t.event, payload: t.payload as Readonly<Record<string, unknown>> },
    logger,
  );
  const at = (currentState: StoredState) => ({
    resource: t.resource,
    id: t.id,
    event: t.event,
    currentState,
    allowedEvents: entry.validator.allowedEvents(input),
  });
  const versionMoved = current.version !== rules.checkedVersion;
  if (rules.pinned === 'if-match' && versionMoved) {
    throw new PreconditionFailedException(
      t.resource,
      t.id,
      current.state,
      etagFor(current.version),
    );
  }
  if (rules.pinned === 'expected-version' && versionMoved) {
    throw IllegalTransitionException.versionMismatch(at(current.state), {
      movedTo: current.version,
    });
  }
  if (!result.allowed) throw IllegalTransitionException.stale(at(result.from), { kind: 'became' });
  const moved = !sameState(result.from, rules.checkedState);
  const { maxRetries, retryWhen } = rules.commit;
  if (rules.attempt > maxRetries || (moved && retryWhen === 'same-state')) {
    throw IllegalTransitionException.stale(
      at(result.from),
      moved ? { kind: 'moved' } : { kind: 'kept-changing', attempts: rules.attempt },
    );
  }
  return { from: result.from, to: result.to };
}
