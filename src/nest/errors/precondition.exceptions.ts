import type { StoredState } from '../../core/index.js';
import { messages } from './messages.js';
import { TransitionHttpException, type TransitionErrorBody } from './transition-http.exception.js';

/** The body of a 412: where the resource is now. */
export interface PreconditionFailedBody extends TransitionErrorBody {
  readonly statusCode: 412;
  readonly code: 'PRECONDITION_FAILED';
  readonly id: string;
  readonly currentState: StoredState;
  readonly etag: string | undefined;
}

/**
 * 412: `If-Match` names a version the resource is no longer at (RFC 9110 section 13.1.1). The
 * answer carries the current `ETag`.
 *
 * @example
 * throw new PreconditionFailedException('order', '7', 'shipped', '"v2"');
 */
export class PreconditionFailedException extends TransitionHttpException<PreconditionFailedBody> {
  constructor(resource: string, id: string, currentState: StoredState, etag: string | undefined) {
    super(
      {
        statusCode: 412,
        error: 'Precondition Failed',
        code: 'PRECONDITION_FAILED',
        message: messages.preconditionFailed(resource, id, etag),
        resource,
        id,
        currentState,
        etag,
      },
      'Precondition failed',
      etag ? { headers: { ETag: etag } } : {},
    );
  }
}

/** The body of a 428. */
export interface PreconditionRequiredBody extends TransitionErrorBody {
  readonly statusCode: 428;
  readonly code: 'PRECONDITION_REQUIRED';
  readonly id: string;
}

/**
 * 428: this route requires `If-Match` (RFC 6585 section 3).
 *
 * @example
 * throw new PreconditionRequiredException('order', '7');
 */
export class PreconditionRequiredException extends TransitionHttpException<PreconditionRequiredBody> {
  constructor(resource: string, id: string) {
    super(
      {
        statusCode: 428,
        error: 'Precondition Required',
        code: 'PRECONDITION_REQUIRED',
        message: messages.preconditionRequired(resource, id),
        resource,
        id,
      },
      'Precondition required',
    );
  }
}
