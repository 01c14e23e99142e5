const TITLES: Record<string, string> = {
  ILLEGAL_TRANSITION: 'Illegal transition',
  INVALID_RESOURCE_ID: 'Invalid resource id',
  INVALID_EVENT: 'Invalid event',
  UNKNOWN_EVENT: 'Unknown event',
  INVALID_PAYLOAD: 'Invalid event payload',
  RESOURCE_NOT_FOUND: 'Resource not found',
  TRANSITION_FORBIDDEN: 'Transition forbidden',
  STORE_UNAVAILABLE: 'Store unavailable',
  INVALID_PRECONDITION: 'Invalid precondition',
  PRECONDITION_FAILED: 'Precondition failed',
  PRECONDITION_REQUIRED: 'Precondition required',
  INVALID_IDEMPOTENCY_KEY: 'Invalid idempotency key',
  IDEMPOTENCY_KEY_REUSED: 'Idempotency key reused',
  REQUEST_IN_PROGRESS: 'Request in progress',
};

/**
 * An RFC 9457 problem object from one of this package's error bodies: `type` (from the code),
 * `title`, `status`, `detail` (the message), `instance` (the request path), plus the body's own
 * fields (`code`, `resource`, `currentState`, `reason`, ...).
 */
export function toProblemDetails(
  body: Record<string, unknown>,
  typeBase: string,
  instance: string,
): Record<string, unknown> {
  const { statusCode, error, message, ...fields } = body;
  const code = String(body.code ?? 'ERROR');
  return {
    type: `${typeBase}${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[code] ?? error,
    status: statusCode,
    detail: message,
    instance,
    ...fields,
  };
}
