import type { RefusedTransition, StoredState } from '../../core/index.js';
import { messages } from './messages.js';
import { TransitionHttpException } from './transition-http.exception.js';
import type { ErrorBodyOf, IllegalTransitionReason } from './error-body.js';

export type { IllegalTransitionReason };

/** Where a resource is now, for the 409s of a lost race. */
export interface CurrentPosition {
  readonly resource: string;
  readonly id: string;
  readonly event: string;
  readonly currentState: StoredState;
  readonly allowedEvents: readonly string[];
}

/**
 * 409 Conflict: the event is not legal from the resource's current state ("Cannot SHIP order 42:
 * it is cancelled"), or the resource moved while the request was being handled.
 *
 * @example
 * throw IllegalTransitionException.refused('order', '42', validator.check({ state: 'cancelled' }, 'SHIP') as RefusedTransition);
 */
export class IllegalTransitionException extends TransitionHttpException<
  ErrorBodyOf<'ILLEGAL_TRANSITION'>
> {
  constructor(body: ErrorBodyOf<'ILLEGAL_TRANSITION'>, options?: { cause?: unknown }) {
    super(body, 'Illegal transition', options);
  }

  /** The validator's refusal (final state, no transition, guards, forbidden). */
  static refused(
    resource: string,
    id: string,
    result: RefusedTransition,
  ): IllegalTransitionException {
    return conflict({
      message: messages.refused(resource, id, result),
      resource,
      id,
      currentState: result.from,
      event: result.event,
      reason: result.reason as IllegalTransitionReason,
      allowedEvents: result.allowedEvents,
      ...(result.blockedBy ? { blockedBy: result.blockedBy } : {}),
    });
  }

  /**
   * The row is in a state the machine does not have (renamed or removed without migrating the
   * row, or written around the library): nothing is allowed from it until it is migrated.
   *
   * @internal
   */
  static unknownState(
    resource: string,
    id: string,
    event: string,
    currentState: StoredState,
  ): IllegalTransitionException {
    return conflict({
      message: messages.inUnknownState(resource, id, event, currentState),
      resource,
      id,
      currentState,
      event,
      reason: 'unknown-state',
      allowedEvents: [],
    });
  }

  /**
   * The database refused the write (`database-refused`): a machine trigger installed from an
   * older or newer lock than the app's machine (a deploy in progress) does not have this edge.
   *
   * @internal
   */
  static refusedByDatabase(at: CurrentPosition, to: StoredState): IllegalTransitionException {
    const { resource, id, event, currentState } = at;
    return conflict({
      ...at,
      message: messages.refusedByDatabase(resource, id, event, currentState, to),
      reason: 'database-refused',
    });
  }

  /**
   * A lost race (`stale-state`): the row moved between the check and the write, and the event is
   * no longer legal (`became`), the retry rule does not follow a move (`moved`), or it kept
   * moving past the retry budget (`kept-changing`).
   *
   * @internal
   */
  static stale(
    at: CurrentPosition,
    why: { kind: 'became' | 'moved' } | { kind: 'kept-changing'; attempts: number },
  ): IllegalTransitionException {
    const { resource, id, event, currentState } = at;
    const message =
      why.kind === 'kept-changing'
        ? messages.keptChanging(resource, id, event, why.attempts)
        : why.kind === 'became'
          ? messages.becameIllegal(resource, id, event, currentState)
          : messages.movedOn(resource, id, event, currentState);
    return conflict({ ...at, message, reason: 'stale-state' });
  }

  /**
   * The client named a version (`expectedVersion`) the resource is not at: `expected` and `actual`
   * when known at the check, or only the version it moved to during the commit.
   *
   * @internal
   */
  static versionMismatch(
    at: CurrentPosition,
    versions: { expected: unknown; actual: unknown } | { movedTo: number | undefined },
  ): IllegalTransitionException {
    const { resource, id, event } = at;
    const message =
      'movedTo' in versions
        ? messages.versionMoved(resource, id, event, versions.movedTo)
        : messages.versionMismatch(resource, id, event, versions.expected, versions.actual);
    return conflict({ ...at, message, reason: 'version-mismatch' });
  }
}

function conflict(
  fields: Omit<ErrorBodyOf<'ILLEGAL_TRANSITION'>, 'statusCode' | 'error' | 'code'>,
): IllegalTransitionException {
  return new IllegalTransitionException({
    statusCode: 409,
    error: 'Conflict',
    code: 'ILLEGAL_TRANSITION',
    ...fields,
  });
}
