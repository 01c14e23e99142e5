import { messages } from './messages.js';
import { TransitionHttpException } from './transition-http.exception.js';
import type { ErrorBodyOf } from './error-body.js';

/** Seconds a client is told to wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * 503: the store could not be reached or failed mid-write. Nothing was written; the answer
 * carries `Retry-After`.
 *
 * @example
 * throw new StoreUnavailableException('order', { cause: err });
 */
export class StoreUnavailableException extends TransitionHttpException<
  ErrorBodyOf<'STORE_UNAVAILABLE'>
> {
  constructor(resource: string, options?: { cause?: unknown }) {
    super(
      {
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'STORE_UNAVAILABLE',
        message: messages.storeUnavailable(resource),
        resource,
      },
      'Store unavailable',
      { ...options, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } },
    );
  }
}
