import { HttpException, HttpStatus } from '@nestjs/common';
import type { StoredState } from '../../core/index.js';

/** 412: `If-Match` names a version the resource is no longer at (RFC 9110 section 13.1.1). */
export class PreconditionFailedException extends HttpException {
  constructor(resource: string, id: string, currentState: StoredState, etag: string | undefined) {
    super(
      {
        statusCode: 412,
        error: 'Precondition Failed',
        code: 'PRECONDITION_FAILED',
        message: `${resource} ${id} is no longer at the version If-Match names (now ${etag ?? 'unversioned'}); refetch and retry`,
        resource,
        id,
        currentState,
        etag,
      },
      HttpStatus.PRECONDITION_FAILED,
    );
  }
}

/** 428: this route requires `If-Match` (RFC 6585 section 3). */
export class PreconditionRequiredException extends HttpException {
  constructor(resource: string, id: string) {
    super(
      {
        statusCode: 428,
        error: 'Precondition Required',
        code: 'PRECONDITION_REQUIRED',
        message: `Send If-Match with the ETag of ${resource} ${id} (GET it first), or If-Match: * for any version`,
        resource,
        id,
      },
      428,
    );
  }
}
