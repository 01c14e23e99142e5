import type { WriteOutcome } from '../../store/index.js';
import { messages } from './messages.js';
import { TransitionHttpException } from './transition-http.exception.js';
import type { ErrorBodyOf } from './error-body.js';

/** Seconds a client is told to wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * 503: the store could not be reached or failed mid-write; the answer carries `Retry-After`.
 * `outcome` says what the client may assume: `not-applied` (the default: nothing was written,
 * retry later) or `unknown` (the connection failed after the commit was sent and the store
 * could not check: retry with the same Idempotency-Key, or read the resource first).
 *
 * @example
 * throw new StoreUnavailableException('order', { cause: err });
 */
export class StoreUnavailableException extends TransitionHttpException<
  ErrorBodyOf<'STORE_UNAVAILABLE'>
> {
  constructor(resource: string, options?: { cause?: unknown; outcome?: WriteOutcome }) {
    const outcome = options?.outcome ?? 'not-applied';
    super(
      {
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'STORE_UNAVAILABLE',
        message:
          outcome === 'unknown'
            ? messages.storeOutcomeUnknown(resource)
            : messages.storeUnavailable(resource),
        resource,
        outcome,
      },
      'Store unavailable',
      { cause: options?.cause, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } },
    );
  }
}
