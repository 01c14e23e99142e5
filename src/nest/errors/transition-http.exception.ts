import { HttpException } from '@nestjs/common';

/** The `code` of every answer this package gives, one per kind of problem. */
export type TransitionErrorCode =
  | 'ILLEGAL_TRANSITION'
  | 'INVALID_RESOURCE_ID'
  | 'INVALID_EVENT'
  | 'UNKNOWN_EVENT'
  | 'INVALID_PAYLOAD'
  | 'INVALID_PRECONDITION'
  | 'INVALID_IDEMPOTENCY_KEY'
  | 'IDEMPOTENCY_CALLER_REQUIRED'
  | 'INVALID_AUDIT'
  | 'INVALID_HISTORY_QUERY'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'ROLE_REQUIRED'
  | 'RESOURCE_NOT_FOUND'
  | 'PRECONDITION_FAILED'
  | 'PRECONDITION_REQUIRED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'REQUEST_IN_PROGRESS'
  | 'STORE_UNAVAILABLE';

/** What every error body of this package has; each kind adds its own fields. */
export interface TransitionErrorBody {
  readonly statusCode: number;
  readonly error: string;
  readonly code: TransitionErrorCode;
  readonly message: string;
  readonly resource: string;
}

/**
 * The base of every answer this package gives besides success: a status, a body with `code`,
 * `message` and the fields that explain it, a `title` for RFC 9457 problem details, and the
 * headers the answer carries (`ETag` on 412, `Retry-After` on 503). `TransitionExceptionFilter`
 * renders it; catch this class to render them your way.
 *
 * @example
 * try {
 *   await transitions.commit(t);
 * } catch (err) {
 *   if (err instanceof TransitionHttpException && err.code === 'ILLEGAL_TRANSITION') notifyOps(err.body);
 *   throw err;
 * }
 */
export abstract class TransitionHttpException<
  B extends TransitionErrorBody = TransitionErrorBody,
> extends HttpException {
  /** Headers the answer carries. */
  readonly headers: Readonly<Record<string, string>>;

  protected constructor(
    readonly body: B,
    /** A short, fixed summary of the problem kind (RFC 9457 `title`). */
    readonly title: string,
    options: { cause?: unknown; headers?: Readonly<Record<string, string>> } = {},
  ) {
    super(body, body.statusCode, options.cause === undefined ? {} : { cause: options.cause });
    this.headers = options.headers ?? {};
  }

  /** The body's `code`. */
  get code(): B['code'] {
    return this.body.code;
  }
}
