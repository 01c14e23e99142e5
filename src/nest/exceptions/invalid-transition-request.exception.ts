import { BadRequestException } from '@nestjs/common';

export type InvalidTransitionRequestCode =
  | 'INVALID_RESOURCE_ID'
  | 'INVALID_EVENT'
  | 'UNKNOWN_EVENT'
  | 'INVALID_PAYLOAD'
  | 'INVALID_PRECONDITION'
  | 'INVALID_IDEMPOTENCY_KEY';

/** The body of a 400 about a transition request. */
export interface InvalidTransitionRequestBody {
  readonly statusCode: 400;
  readonly error: 'Bad Request';
  readonly code: InvalidTransitionRequestCode;
  readonly message: string;
  readonly resource: string;
  readonly [field: string]: unknown;
}

/**
 * 400 Bad Request: the request itself is malformed (the id, the event, or the payload), whatever
 * the resource's state. Nothing was loaded or changed.
 */
export class InvalidTransitionRequestException extends BadRequestException {
  constructor(readonly body: InvalidTransitionRequestBody) {
    super(body);
  }

  static of(
    code: InvalidTransitionRequestCode,
    resource: string,
    message: string,
    fields: Record<string, unknown> = {},
  ): InvalidTransitionRequestException {
    return new InvalidTransitionRequestException({
      statusCode: 400,
      error: 'Bad Request',
      code,
      message,
      resource,
      ...fields,
    });
  }
}
