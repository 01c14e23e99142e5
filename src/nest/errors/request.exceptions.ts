import type { PayloadIssue } from '../../core/index.js';
import { messages } from './messages.js';
import { TransitionHttpException, type TransitionErrorBody } from './transition-http.exception.js';

/** The `code` of a 400 about a transition request. */
export type InvalidTransitionRequestCode =
  | 'INVALID_RESOURCE_ID'
  | 'INVALID_EVENT'
  | 'UNKNOWN_EVENT'
  | 'INVALID_PAYLOAD'
  | 'INVALID_PRECONDITION'
  | 'INVALID_IDEMPOTENCY_KEY'
  | 'IDEMPOTENCY_CALLER_REQUIRED'
  | 'INVALID_AUDIT'
  | 'INVALID_HISTORY_QUERY';

/** The body of a 400 about a transition request; each code adds its fields (`events`, `issues`). */
export interface InvalidTransitionRequestBody extends TransitionErrorBody {
  readonly statusCode: 400;
  readonly error: 'Bad Request';
  readonly code: InvalidTransitionRequestCode;
  readonly id?: string;
  readonly event?: string;
  readonly events?: readonly string[];
  readonly issues?: readonly PayloadIssue[];
}

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
};

/**
 * 400 Bad Request: the request itself is malformed (the id, the event, the payload, a header),
 * whatever the resource's state. Nothing was changed.
 *
 * @example
 * throw InvalidTransitionRequestException.of('INVALID_EVENT', 'order', 'The request body must be a JSON object');
 */
export class InvalidTransitionRequestException extends TransitionHttpException<InvalidTransitionRequestBody> {
  constructor(body: InvalidTransitionRequestBody) {
    super(body, TITLES[body.code]);
  }

  static of(
    code: InvalidTransitionRequestCode,
    resource: string,
    message: string,
    fields: Pick<InvalidTransitionRequestBody, 'id' | 'event' | 'events' | 'issues'> = {},
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

/** The body of a 403: the roles one of which the caller needs. */
export interface RoleRequiredBody extends TransitionErrorBody {
  readonly statusCode: 403;
  readonly code: 'ROLE_REQUIRED';
  readonly id: string;
  readonly event: string;
  readonly requiredRoles: readonly string[];
}

/**
 * 403 Forbidden: the event's transitions need a role the caller does not have. Answered before
 * the resource is loaded, so it says nothing about the state.
 *
 * @example
 * throw new RoleRequiredException('article', '7', 'APPROVE', ['editor']);
 */
export class RoleRequiredException extends TransitionHttpException<RoleRequiredBody> {
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

/** The body of a 404. */
export interface ResourceNotFoundBody extends TransitionErrorBody {
  readonly statusCode: 404;
  readonly code: 'RESOURCE_NOT_FOUND';
  readonly id: string;
}

/**
 * 404: no resource has this id. Throw it from your own routes too, for one 404 shape app-wide.
 *
 * @example
 * const row = await orders.findOneBy({ id });
 * if (!row) throw new ResourceNotFoundException('order', String(id));
 */
export class ResourceNotFoundException extends TransitionHttpException<ResourceNotFoundBody> {
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

/** The body of a 415. */
export interface UnsupportedContentTypeBody extends TransitionErrorBody {
  readonly statusCode: 415;
  readonly code: 'UNSUPPORTED_MEDIA_TYPE';
}

/**
 * 415: a transition request's body is not `application/json` (UTF-8), or is compressed. Forms
 * and other encodings never change a resource's state (a cross-site form cannot cancel an order).
 *
 * @example
 * throw new UnsupportedContentTypeException('order', 'application/x-www-form-urlencoded');
 */
export class UnsupportedContentTypeException extends TransitionHttpException<UnsupportedContentTypeBody> {
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
