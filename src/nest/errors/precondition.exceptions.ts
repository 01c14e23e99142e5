import type { StoredState } from '../../core/index.js';
import { messages } from './messages.js';
import { TransitionHttpException } from './transition-http.exception.js';
import type { ErrorBodyOf } from './error-body.js';

/**
 * 412: `If-Match` names a version the resource is no longer at (RFC 9110 section 13.1.1). The
 * answer carries the current `ETag`.
 *
 * @example
 * throw new PreconditionFailedException('order', '7', 'shipped', '"v2"');
 */
export class PreconditionFailedException extends TransitionHttpException<
  ErrorBodyOf<'PRECONDITION_FAILED'>
> {
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

/**
 * 428: this route requires `If-Match` (RFC 6585 section 3).
 *
 * @example
 * throw new PreconditionRequiredException('order', '7');
 */
export class PreconditionRequiredException extends TransitionHttpException<
  ErrorBodyOf<'PRECONDITION_REQUIRED'>
> {
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
