import { messages } from './messages.js';
import { TransitionHttpException, type TransitionErrorBody } from './transition-http.exception.js';

/** The body of a 422 for a reused key. */
export interface IdempotencyKeyReusedBody extends TransitionErrorBody {
  readonly statusCode: 422;
  readonly code: 'IDEMPOTENCY_KEY_REUSED';
}

/**
 * 422: the key was used for a different request (method, path or body differ).
 *
 * @example
 * throw new IdempotencyKeyReusedException('order', 'pay-7');
 */
export class IdempotencyKeyReusedException extends TransitionHttpException<IdempotencyKeyReusedBody> {
  constructor(resource: string, key: string) {
    super(
      {
        statusCode: 422,
        error: 'Unprocessable Entity',
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: messages.keyReused(key),
        resource,
      },
      'Idempotency key reused',
    );
  }
}

/** The body of a 409 for a key whose first request still runs. */
export interface RequestInProgressBody extends TransitionErrorBody {
  readonly statusCode: 409;
  readonly code: 'REQUEST_IN_PROGRESS';
  readonly reason: 'request-in-progress';
}

/**
 * 409: another attempt with this key is still running (or holds its lease).
 *
 * @example
 * throw new RequestInProgressException('order', 'pay-7');
 */
export class RequestInProgressException extends TransitionHttpException<RequestInProgressBody> {
  constructor(resource: string, key: string, options?: { cause?: unknown }) {
    super(
      {
        statusCode: 409,
        error: 'Conflict',
        code: 'REQUEST_IN_PROGRESS',
        reason: 'request-in-progress',
        message: messages.keyInProgress(key),
        resource,
      },
      'Request in progress',
      options,
    );
  }
}
