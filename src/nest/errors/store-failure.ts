import { HttpException, InternalServerErrorException, type Logger } from '@nestjs/common';
import {
  ForbiddenChangesError,
  IdempotencyKeyLostError,
  StoreUnavailableError,
  TimerGoneError,
} from '../../store/index.js';
import { settled } from '../../store/settled.js';
import { IdempotencyKeyLostException } from './idempotency.exceptions.js';
import { messages } from './messages.js';
import { StoreUnavailableException } from './store-unavailable.exception.js';

/**
 * What a failed store call answers, the one mapping every caller of a store uses: an unavailable
 * store is a 503 (logged as a warning), an attempt that lost its idempotency key a 409
 * (`IDEMPOTENCY_KEY_LOST`), an HTTP
 * answer or a caller's bug (`ForbiddenChangesError`) passes through, anything else is a 500 with
 * a generic body and the cause in the log.
 */
export function storeFailure(
  logger: Logger,
  resource: string,
  action: string,
  err: unknown,
): Error {
  if (
    err instanceof HttpException ||
    err instanceof ForbiddenChangesError ||
    err instanceof TimerGoneError
  )
    return err;
  if (err instanceof StoreUnavailableError) {
    logger.warn(messages.storeFailed(resource, action, err.message));
    return new StoreUnavailableException(resource, { cause: err, outcome: err.outcome });
  }
  if (err instanceof IdempotencyKeyLostError) {
    logger.warn(messages.storeFailed(resource, action, err.message));
    return new IdempotencyKeyLostException(resource, err.key, { cause: err });
  }
  const cause = err instanceof Error ? err : new Error(String(err));
  logger.error(messages.storeFailed(resource, action, cause.message), cause.stack);
  return new InternalServerErrorException();
}

/** Runs a store call; a failure is thrown as {@link storeFailure} maps it. */
export function callStore<T>(
  logger: Logger,
  resource: string,
  action: string,
  call: () => Promise<T>,
): Promise<T> {
  return settled(call).catch((err: unknown) => {
    throw storeFailure(logger, resource, action, err);
  });
}
