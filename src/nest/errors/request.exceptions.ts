import { messages } from './messages.js';
import { TransitionHttpException } from './transition-http.exception.js';
import type { ErrorBodyOf, InvalidTransitionRequestCode } from './error-body.js';

export type { InvalidTransitionRequestCode };

const TITLES: Record<InvalidTransitionRequestCode, string> = {
  INVALID_RESOURCE_ID: 'Invalid resource id',
  INVALID_EVENT: 'Invalid event',
  UNKNOWN_EVENT: 'Unknown event',
  INVALID_PAYLOAD: 'Invalid event payload',
  INVALID_PRECONDITION: 'Invalid precondition',
  INVALID_IDEMPOTENCY_KEY: 'Invalid idempotency key',
  IDEMPOTENCY_CALLER_REQUIRED: 'Idempotency key without a caller',
  INVALID_AUDIT: 'Invalid audit fields',
  INVALID_HISTORY_QUERY: 'Invalid history query',
  INVALID_BODY: 'Invalid request body',
  INVALID_CALLER: 'Invalid caller identity',
};

/**
 * 400 Bad Request: the request itself is malformed (the id, the event, the payload, a header),
 * whatever the resource's state. Nothing was changed.
 *
 * @example
 * throw InvalidTransitionRequestException.of('INVALID_EVENT', 'order', 'The request body must be a JSON object');
 */
export class InvalidTransitionRequestException extends TransitionHttpException<
  ErrorBodyOf<InvalidTransitionRequestCode>
> {
  constructor(body: ErrorBodyOf<InvalidTransitionRequestCode>) {
    super(body, TITLES[body.code]);
  }

  static of(
    code: InvalidTransitionRequestCode,
    resource: string,
    message: string,
    fields: Pick<
      ErrorBodyOf<InvalidTransitionRequestCode>,
      'id' | 'event' | 'events' | 'issues'
    > = {},
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

/**
 * 403 Forbidden: the event's transitions need a role the caller does not have. Answered before
 * the resource is loaded, so it says nothing about the state.
 *
 * @example
 * throw new RoleRequiredException('article', '7', 'APPROVE', ['editor']);
 */
export class RoleRequiredException extends TransitionHttpException<ErrorBodyOf<'ROLE_REQUIRED'>> {
  constructor(resource: string, id: string, event: string, requiredRoles: readonly string[]) {
    super(
      {
        statusCode: 403,
        error: 'Forbidden',
        code: 'ROLE_REQUIRED',
        message: messages.roleRequired(resource, event, requiredRoles),
        resource,
        id,
        event,
        requiredRoles,
      },
      'Role required',
    );
  }
}

/**
 * 404: no resource has this id. Throw it from your own routes too, for one 404 shape app-wide.
 *
 * @example
 * const row = await orders.findOneBy({ id });
 * if (!row) throw new ResourceNotFoundException('order', String(id));
 */
export class ResourceNotFoundException extends TransitionHttpException<
  ErrorBodyOf<'RESOURCE_NOT_FOUND'>
> {
  constructor(resource: string, id: string) {
    super(
      {
        statusCode: 404,
        error: 'Not Found',
        code: 'RESOURCE_NOT_FOUND',
        message: messages.notFound(resource, id),
        resource,
        id,
      },
      'Resource not found',
    );
  }
}

/**
 * 415: a transition request's body is not `application/json` (UTF-8), or is compressed. Forms
 * and other encodings never change a resource's state (a cross-site form cannot cancel an order).
 *
 * @example
 * throw new UnsupportedContentTypeException('order', 'application/x-www-form-urlencoded');
 */
export class UnsupportedContentTypeException extends TransitionHttpException<
  ErrorBodyOf<'UNSUPPORTED_MEDIA_TYPE'>
> {
  constructor(resource: string, received: string) {
    super(
      {
        statusCode: 415,
        error: 'Unsupported Media Type',
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: messages.unsupportedContentType(received),
        resource,
      },
      'Unsupported media type',
    );
  }
}
