import type { PayloadIssue, RefusalReason, StoredState } from '../../core/index.js';

/**
 * Why a 409 `ILLEGAL_TRANSITION` was answered: the validator's refusal reasons, or a lost race
 * (`stale-state`), a version that does not match (`version-mismatch`), or a row in a state the
 * machine does not have (`unknown-state`: renamed or removed without migrating the row), or a
 * write the database's machine trigger refused (`database-refused`).
 */
export type IllegalTransitionReason =
  | Exclude<RefusalReason, 'unknown-event' | 'invalid-payload'>
  | 'stale-state'
  | 'version-mismatch'
  | 'unknown-state'
  | 'database-refused';

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
  | 'INVALID_HISTORY_QUERY'
  | 'INVALID_CALLER'
  | 'INVALID_BODY';

/**
 * Every error body this package answers, one member per `code` (zod's issues are the model): a
 * caller switches on `code` and TypeScript knows the fields. Each has `statusCode`, `error`,
 * `code`, `message` (a sentence with the values and what to do) and `resource`; the members add
 * what explains them. The members are written out rather than named, so that an app compiled
 * with `declaration: true` can infer them.
 *
 * @example
 * function explain(body: TransitionErrorBody): string {
 *   switch (body.code) {
 *     case 'ILLEGAL_TRANSITION': return `${body.event} refused in ${String(body.currentState)}: ${body.reason}`;
 *     case 'ROLE_REQUIRED': return `needs one of ${body.requiredRoles.join(', ')}`;
 *     default: return body.message;
 *   }
 * }
 */
export type TransitionErrorBody =
  /** 409: the event is not legal from the resource's current state, or the resource moved. */
  | {
      readonly statusCode: 409;
      readonly error: 'Conflict';
      readonly code: 'ILLEGAL_TRANSITION';
      readonly message: string;
      readonly resource: string;
      readonly id: string;
      readonly currentState: StoredState;
      readonly event: string;
      readonly reason: IllegalTransitionReason;
      /** The events legal from the current state. */
      readonly allowedEvents: readonly string[];
      /** The guards that refused (`guard-rejected`). */
      readonly blockedBy?: readonly string[];
    }
  /** 400: the request cannot be understood (its id, event, payload, headers or body). */
  | {
      readonly statusCode: 400;
      readonly error: 'Bad Request';
      readonly code: InvalidTransitionRequestCode;
      readonly message: string;
      /** Absent when the platform's body parser refused the body before any route ran. */
      readonly resource?: string;
      readonly id?: string;
      readonly event?: string;
      /** The events the resource knows (`UNKNOWN_EVENT`, `INVALID_EVENT`). */
      readonly events?: readonly string[];
      /** What is wrong with the payload, as data (`INVALID_PAYLOAD`). */
      readonly issues?: readonly PayloadIssue[];
    }
  /** 403: the event needs a role the caller does not have. */
  | {
      readonly statusCode: 403;
      readonly error: 'Forbidden';
      readonly code: 'ROLE_REQUIRED';
      readonly message: string;
      readonly resource: string;
      readonly id: string;
      readonly event: string;
      readonly requiredRoles: readonly string[];
    }
  /** 404: no such resource. */
  | {
      readonly statusCode: 404;
      readonly error: 'Not Found';
      readonly code: 'RESOURCE_NOT_FOUND';
      readonly message: string;
      readonly resource: string;
      readonly id: string;
    }
  /** 413: the body is larger than the server accepts. */
  | {
      readonly statusCode: 413;
      readonly error: 'Payload Too Large';
      readonly code: 'PAYLOAD_TOO_LARGE';
      readonly message: string;
      /** Absent: the body parser refuses it before any route runs. */
      readonly resource?: string;
    }
  /** 415: the body is not JSON, or is in an encoding the server does not read. */
  | {
      readonly statusCode: 415;
      readonly error: 'Unsupported Media Type';
      readonly code: 'UNSUPPORTED_MEDIA_TYPE';
      readonly message: string;
      /** Absent when the platform's body parser refused the body before any route ran. */
      readonly resource?: string;
    }
  /** 412: `If-Match` names a version the resource is no longer at. */
  | {
      readonly statusCode: 412;
      readonly error: 'Precondition Failed';
      readonly code: 'PRECONDITION_FAILED';
      readonly message: string;
      readonly resource: string;
      readonly id: string;
      readonly currentState: StoredState;
      /** The resource's ETag now. */
      readonly etag: string | undefined;
    }
  /** 428: the route requires `If-Match`. */
  | {
      readonly statusCode: 428;
      readonly error: 'Precondition Required';
      readonly code: 'PRECONDITION_REQUIRED';
      readonly message: string;
      readonly resource: string;
      readonly id: string;
    }
  /** 422: the Idempotency-Key was used for a different request. */
  | {
      readonly statusCode: 422;
      readonly error: 'Unprocessable Entity';
      readonly code: 'IDEMPOTENCY_KEY_REUSED';
      readonly message: string;
      readonly resource: string;
    }
  /** 409: another attempt with this Idempotency-Key is still running. */
  | {
      readonly statusCode: 409;
      readonly error: 'Conflict';
      readonly code: 'REQUEST_IN_PROGRESS';
      readonly message: string;
      readonly resource: string;
      readonly reason: 'request-in-progress';
    }
  /** 409: this request lost its hold on its Idempotency-Key to another attempt; it changed nothing. */
  | {
      readonly statusCode: 409;
      readonly error: 'Conflict';
      readonly code: 'IDEMPOTENCY_KEY_LOST';
      readonly message: string;
      readonly resource: string;
      readonly reason: 'idempotency-key-lost';
    }
  /**
   * 503: the store cannot be reached; retry after `Retry-After`. `outcome`: `not-applied`
   * (nothing was changed) or `unknown` (the commit was sent and its answer lost: retry with an
   * Idempotency-Key, or read the resource first).
   */
  | {
      readonly statusCode: 503;
      readonly error: 'Service Unavailable';
      readonly code: 'STORE_UNAVAILABLE';
      readonly message: string;
      readonly resource: string;
      readonly outcome: 'not-applied' | 'unknown';
    };

/** The `code` of every error body this package answers. */
export type TransitionErrorCode = TransitionErrorBody['code'];

/**
 * The body of one `code` (or of several).
 *
 * @example
 * const body: ErrorBodyOf<'ILLEGAL_TRANSITION'> = err.body; // reason, currentState, allowedEvents ...
 */
export type ErrorBodyOf<C extends TransitionErrorCode> = TransitionErrorBody extends infer B
  ? B extends { readonly code: infer K }
    ? C extends K
      ? B
      : never
    : never
  : never;
