import { messages } from './messages.js';
import { TransitionHttpException } from './transition-http.exception.js';
import type { ErrorBodyOf } from './error-body.js';

/**
 * 422: the key was used for a different request (method, path or body differ).
 *
 * @example
 * throw new IdempotencyKeyReusedException('order', 'pay-7');
 */
export class IdempotencyKeyReusedException extends TransitionHttpException<
  ErrorBodyOf<'IDEMPOTENCY_KEY_REUSED'>
> {
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

/**
 * 409: another attempt with this key is still running (or holds its lease).
 *
 * @example
 * throw new RequestInProgressException('order', 'pay-7');
 */
export class RequestInProgressException extends TransitionHttpException<
  ErrorBodyOf<'REQUEST_IN_PROGRESS'>
> {
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

/**
 * 409: this request's hold on its key lapsed (the lease could not be renewed, another attempt
 * took the key over); this request changed nothing.
 *
 * @example
 * throw new IdempotencyKeyLostException('order', 'pay-7');
 */
export class IdempotencyKeyLostException extends TransitionHttpException<
  ErrorBodyOf<'IDEMPOTENCY_KEY_LOST'>
> {
  constructor(resource: string, key: string, options?: { cause?: unknown }) {
    super(
      {
        statusCode: 409,
        error: 'Conflict',
        code: 'IDEMPOTENCY_KEY_LOST',
        reason: 'idempotency-key-lost',
        message: messages.keyLost(key, resource),
        resource,
      },
      'Idempotency key lost',
      options,
    );
  }
}
