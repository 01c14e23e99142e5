import type { HttpException } from '@nestjs/common';
import type { ErrorBodyOf } from './error-body.js';
import { messages } from './messages.js';
import { TransitionHttpException } from './transition-http.exception.js';

type BodyCode = 'INVALID_BODY' | 'PAYLOAD_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE';

const STATUS = { INVALID_BODY: 400, PAYLOAD_TOO_LARGE: 413, UNSUPPORTED_MEDIA_TYPE: 415 } as const;
const ERROR = {
  INVALID_BODY: 'Bad Request',
  PAYLOAD_TOO_LARGE: 'Payload Too Large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported Media Type',
} as const;
const TITLE = {
  INVALID_BODY: 'Invalid request body',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
} as const;

/**
 * A body the platform's parser refused before any route ran (body-parser on Express, the content
 * parser on Fastify): invalid JSON, too large, an encoding or charset it does not read. The same
 * answer as the package's own, with a `code`, and no `resource` (none was reached).
 */
class RequestBodyException extends TransitionHttpException<ErrorBodyOf<BodyCode>> {
  constructor(code: BodyCode, message: string, cause: unknown) {
    super(
      { statusCode: STATUS[code], error: ERROR[code], code, message } as ErrorBodyOf<BodyCode>,
      TITLE[code],
      { cause },
    );
  }
}

/** Node's zlib errors: a compressed body that does not decompress. */
const ZLIB = /^Z_/;

/**
 * The package's answer for an `HttpException` that the platform made of a body parser's error
 * (Nest's adapters keep the parser's error as `cause`), or undefined for any other exception.
 */
export function bodyParserException(exception: HttpException): TransitionHttpException | undefined {
  const cause = exception.cause as
    | { type?: unknown; code?: unknown; message?: unknown; limit?: unknown; name?: unknown }
    | undefined;
  if (!cause || typeof cause !== 'object') return undefined;
  const detail = typeof cause.message === 'string' ? cause.message : '';
  const status = exception.getStatus();
  const type = typeof cause.type === 'string' ? cause.type : '';
  const code = typeof cause.code === 'string' ? cause.code : '';
  // Express: body-parser's errors carry a `type`.
  if (type === 'entity.too.large' || code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = typeof cause.limit === 'number' ? cause.limit : undefined;
    return new RequestBodyException('PAYLOAD_TOO_LARGE', messages.bodyTooLarge(limit), cause);
  }
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new RequestBodyException('UNSUPPORTED_MEDIA_TYPE', messages.bodyEncoding(detail), cause);
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new RequestBodyException('UNSUPPORTED_MEDIA_TYPE', messages.bodyEncoding(detail), cause);
  }
  if (
    type === 'entity.parse.failed' ||
    code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    (status === 400 && cause.name === 'SyntaxError')
  ) {
    return new RequestBodyException('INVALID_BODY', messages.bodyNotJson(detail), cause);
  }
  if (
    type.startsWith('request.') ||
    type === 'stream.encoding.set' ||
    ZLIB.test(code) ||
    code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH'
  ) {
    return new RequestBodyException('INVALID_BODY', messages.bodyUnreadable(detail), cause);
  }
  return undefined;
}
