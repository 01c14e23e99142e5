import { ConflictException } from '@nestjs/common';
import { describeRefusal, type RefusedTransition, type StoredState } from '../../core/index.js';

/** The body of a 409: what was refused, from which state, why, and what is allowed now. */
export interface IllegalTransitionBody {
  readonly statusCode: 409;
  readonly error: 'Conflict';
  readonly code: 'ILLEGAL_TRANSITION';
  readonly message: string;
  readonly resource: string;
  readonly id: string;
  readonly currentState: StoredState;
  readonly event: string;
  readonly reason: RefusedTransition['reason'] | 'stale-state' | 'version-mismatch';
  readonly allowedEvents: readonly string[];
  readonly blockedBy?: readonly string[];
}

/**
 * 409 Conflict: the event is not legal from the resource's current state.
 * `Cannot SHIP order 42: it is cancelled`.
 */
export class IllegalTransitionException extends ConflictException {
  constructor(
    readonly body: IllegalTransitionBody,
    options?: { cause?: unknown },
  ) {
    super(body, options);
  }

  /**
   * The 409 of a lost race: the row moved between the check and the write, and the event is no
   * longer legal from where it is now (or kept moving past the retry budget).
   */
  static stale(
    resource: string,
    id: string,
    event: string,
    currentState: StoredState,
    allowedEvents: readonly string[],
    message: string,
    reason: 'stale-state' | 'version-mismatch' = 'stale-state',
  ): IllegalTransitionException {
    return IllegalTransitionException.of({
      message,
      resource,
      id,
      currentState,
      event,
      reason,
      allowedEvents,
    });
  }

  private static of(
    fields: Omit<IllegalTransitionBody, 'statusCode' | 'error' | 'code'>,
  ): IllegalTransitionException {
    return new IllegalTransitionException({
      statusCode: 409,
      error: 'Conflict',
      code: 'ILLEGAL_TRANSITION',
      ...fields,
    });
  }

  /** Builds the exception from the validator's refusal. */
  static fromRefusal(
    resource: string,
    id: string,
    result: RefusedTransition,
  ): IllegalTransitionException {
    const state = typeof result.from === 'string' ? result.from : JSON.stringify(result.from);
    const message =
      result.reason === 'final-state'
        ? `Cannot ${result.event} ${resource} ${id}: it is ${state}`
        : describeRefusal(result, `${resource} ${id}`);
    return IllegalTransitionException.of({
      message,
      resource,
      id,
      currentState: result.from,
      event: result.event,
      reason: result.reason,
      allowedEvents: result.allowedEvents,
      ...(result.blockedBy ? { blockedBy: result.blockedBy } : {}),
    });
  }
}
