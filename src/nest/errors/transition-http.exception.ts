import { HttpException } from '@nestjs/common';
import type { TransitionErrorBody } from './error-body.js';

export type { TransitionErrorBody, TransitionErrorCode } from './error-body.js';

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
