import { messages } from './messages.js';
import { TransitionHttpException, type TransitionErrorBody } from './transition-http.exception.js';

/** The body of a 503. */
export interface StoreUnavailableBody extends TransitionErrorBody {
  readonly statusCode: 503;
  readonly code: 'STORE_UNAVAILABLE';
}

/** Seconds a client is told to wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * 503: the store could not be reached or failed mid-write. Nothing was written; the answer
 * carries `Retry-After`.
 *
 * @example
 * throw new StoreUnavailableException('order', { cause: err });
 */
export class StoreUnavailableException extends TransitionHttpException<StoreUnavailableBody> {
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
