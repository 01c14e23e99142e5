import { ServiceUnavailableException } from '@nestjs/common';

/** 503: the store could not be reached or failed mid-write. Nothing was written; retry later. */
export class StoreUnavailableException extends ServiceUnavailableException {
  constructor(
    readonly resource: string,
    options?: { cause?: unknown },
  ) {
    super(
      {
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'STORE_UNAVAILABLE',
        message: `The ${resource} store is unavailable; nothing was changed. Retry later.`,
        resource,
      },
      options,
    );
  }
}
