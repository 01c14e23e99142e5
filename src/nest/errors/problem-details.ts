/** An RFC 9457 problem object: the standard members plus the body's own fields. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly [field: string]: unknown;
}

/**
 * An RFC 9457 problem object from an error body: `type` (from the body's `code`), `title`,
 * `status`, `detail` (the message), `instance` (the request path), plus the body's own fields
 * (`code`, `resource`, `currentState`, `reason`, ...).
 *
 * @example
 * toProblemDetails({ statusCode: 404, error: 'Not Found', code: 'RESOURCE_NOT_FOUND', message: 'order 9 does not exist' },
 *   { title: 'Resource not found', typeBase: 'urn:transition-guard:', instance: '/orders/9' });
 * // { type: 'urn:transition-guard:resource-not-found', title: 'Resource not found', status: 404, detail: 'order 9 does not exist', instance: '/orders/9', code: 'RESOURCE_NOT_FOUND' }
 */
export function toProblemDetails(
  body: Readonly<Record<string, unknown>>,
  at: { readonly title: string; readonly typeBase: string; readonly instance: string },
): ProblemDetails {
  const { statusCode, error: _error, message, ...fields } = body;
  const code = typeof body.code === 'string' ? body.code : 'ERROR';
  return {
    type: `${at.typeBase}${code.toLowerCase().replace(/_/g, '-')}`,
    title: at.title,
    status: Number(statusCode),
    detail: typeof message === 'string' ? message : at.title,
    instance: at.instance,
    ...fields,
  };
}
