import { ConflictException, UnprocessableEntityException } from '@nestjs/common';

/** 422: the key was used for a different request (method, path or body differ). */
export class IdempotencyKeyReusedException extends UnprocessableEntityException {
  constructor(resource: string, key: string) {
    super({
      statusCode: 422,
      error: 'Unprocessable Entity',
      code: 'IDEMPOTENCY_KEY_REUSED',
      message: `Idempotency-Key '${key}' was already used for a different request; use a new key for a new request`,
      resource,
    });
  }
}

/** 409: the first request with this key is still running. */
export class RequestInProgressException extends ConflictException {
  constructor(resource: string, key: string) {
    super({
      statusCode: 409,
      error: 'Conflict',
      code: 'REQUEST_IN_PROGRESS',
      reason: 'request-in-progress',
      message: `A request with Idempotency-Key '${key}' is still in progress; retry after it completes`,
      resource,
    });
  }
}
