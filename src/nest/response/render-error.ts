import { HttpException, type ArgumentsHost } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { ResolvedTransitionGuardOptions } from '../definition/options.js';
import { toProblemDetails } from '../errors/problem-details.js';
import { TransitionHttpException } from '../errors/transition-http.exception.js';

/**
 * Sends an HTTP error in the application's one format: this package's errors with their body and
 * headers as they are, any other `HttpException` with Nest's body; as RFC 9457
 * `application/problem+json` when the `problemDetails` option is on.
 */
export function renderHttpError(
  exception: HttpException,
  host: ArgumentsHost,
  adapterHost: HttpAdapterHost,
  options: Pick<ResolvedTransitionGuardOptions, 'problemDetails' | 'problemTypeBase'>,
): void {
  const adapter = adapterHost.httpAdapter;
  const http = host.switchToHttp();
  const response: unknown = http.getResponse();
  const status = exception.getStatus();
  const ours = exception instanceof TransitionHttpException;
  if (ours) {
    for (const [name, value] of Object.entries(exception.headers)) {
      adapter.setHeader(response, name, value);
    }
  }
  const body = bodyOf(exception, status);
  if (!options.problemDetails) {
    adapter.reply(
      response,
      ours || typeof body.code === 'string' ? body : { ...body, code: codeOf(status) },
      status,
    );
    return;
  }
  const instance = String(adapter.getRequestUrl(http.getRequest()) ?? '').split('?')[0];
  adapter.setHeader(response, 'Content-Type', 'application/problem+json; charset=utf-8');
  const title = ours
    ? exception.title
    : typeof body.error === 'string'
      ? body.error
      : codeOf(status);
  const problem = toProblemDetails(
    { ...body, code: typeof body.code === 'string' ? body.code : codeOf(status) },
    { title, typeBase: options.problemTypeBase, instance },
  );
  // A string body: the adapters keep the content type set above for it.
  adapter.reply(response, JSON.stringify(problem), status);
}

/** The exception's body as an object (Nest allows a plain string). */
function bodyOf(exception: HttpException, status: number): Record<string, unknown> {
  const raw = exception.getResponse();
  if (typeof raw === 'string') return { statusCode: status, message: raw };
  const body = raw as Record<string, unknown>;
  // ValidationPipe and others send a list of messages.
  return Array.isArray(body.message)
    ? { ...body, message: body.message.join('; '), errors: body.message }
    : body;
}

/** `NOT_FOUND` for 404: a code for errors that carry none. */
function codeOf(status: number): string {
  const names: Record<number, string> = {
    400: 'BAD_REQUEST',
    401: 'UNAUTHORIZED',
    403: 'FORBIDDEN',
    404: 'NOT_FOUND',
    405: 'METHOD_NOT_ALLOWED',
    409: 'CONFLICT',
    413: 'PAYLOAD_TOO_LARGE',
    415: 'UNSUPPORTED_MEDIA_TYPE',
    422: 'UNPROCESSABLE_ENTITY',
    429: 'TOO_MANY_REQUESTS',
    500: 'INTERNAL_SERVER_ERROR',
    503: 'SERVICE_UNAVAILABLE',
  };
  return names[status] ?? `HTTP_${status}`;
}
