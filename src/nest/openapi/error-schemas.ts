import type { IllegalTransitionReason } from '../errors/error-body.js';
import type { InvalidTransitionRequestCode } from '../errors/request.exceptions.js';

/** A JSON Schema (OpenAPI 3.1: JSON Schema 2020-12), as plain data. */
export type JsonSchema = Record<string, unknown>;

/** The refusal reasons a 409 `ILLEGAL_TRANSITION` can carry. */
export const CONFLICT_REASONS: readonly string[] = [
  'final-state',
  'no-transition',
  'guard-rejected',
  'forbidden',
  'stale-state',
  'version-mismatch',
  'unknown-state',
  'database-refused',
] satisfies readonly IllegalTransitionReason[];

/** The codes of a 400 a transition route can answer. */
export const BAD_REQUEST_CODES: readonly InvalidTransitionRequestCode[] = [
  'INVALID_RESOURCE_ID',
  'INVALID_EVENT',
  'UNKNOWN_EVENT',
  'INVALID_PAYLOAD',
  'INVALID_PRECONDITION',
  'INVALID_IDEMPOTENCY_KEY',
  'IDEMPOTENCY_CALLER_REQUIRED',
  'INVALID_AUDIT',
];

const error = (
  status: number,
  code: JsonSchema,
  extra: Record<string, JsonSchema> = {},
  required: string[] = [],
): JsonSchema => ({
  type: 'object',
  properties: {
    statusCode: { const: status },
    error: { type: 'string' },
    code,
    message: { type: 'string' },
    resource: { type: 'string' },
    ...extra,
  },
  required: ['statusCode', 'code', 'message', 'resource', ...required],
});

/**
 * The component schemas of this package's error bodies, for an OpenAPI document: one per kind of
 * answer, with `code` and `reason` as enums.
 */
export function errorSchemas(events: readonly string[]): Record<string, JsonSchema> {
  const state = {
    description: 'A stored state: a name, a dotted path, or a state value object',
    anyOf: [{ type: 'string' }, { type: 'object' }],
  };
  const eventEnum = events.length ? { type: 'string', enum: [...events] } : { type: 'string' };
  return {
    TransitionIllegal: error(
      409,
      { const: 'ILLEGAL_TRANSITION' },
      {
        id: { type: 'string' },
        currentState: state,
        event: { type: 'string' },
        reason: { type: 'string', enum: [...CONFLICT_REASONS] },
        allowedEvents: { type: 'array', items: eventEnum },
        blockedBy: { type: 'array', items: { type: 'string' } },
      },
      ['id', 'currentState', 'event', 'reason', 'allowedEvents'],
    ),
    TransitionInProgress: error(
      409,
      { type: 'string', enum: ['REQUEST_IN_PROGRESS', 'IDEMPOTENCY_KEY_LOST'] },
      { reason: { type: 'string', enum: ['request-in-progress', 'idempotency-key-lost'] } },
      ['reason'],
    ),
    TransitionBadRequest: error(
      400,
      { type: 'string', enum: [...BAD_REQUEST_CODES] },
      {
        id: { type: 'string' },
        event: { type: 'string' },
        events: { type: 'array', items: { type: 'string' } },
        issues: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              code: { type: 'string' },
              path: { type: 'array', items: { type: ['string', 'integer'] } },
              message: { type: 'string' },
            },
            required: ['code', 'path', 'message'],
          },
        },
      },
    ),
    TransitionRoleRequired: error(
      403,
      { const: 'ROLE_REQUIRED' },
      {
        id: { type: 'string' },
        event: { type: 'string' },
        requiredRoles: { type: 'array', items: { type: 'string' } },
      },
      ['requiredRoles'],
    ),
    TransitionNotFound: error(404, { const: 'RESOURCE_NOT_FOUND' }, { id: { type: 'string' } }, [
      'id',
    ]),
    TransitionPreconditionFailed: error(
      412,
      { const: 'PRECONDITION_FAILED' },
      { id: { type: 'string' }, currentState: state, etag: { type: 'string' } },
      ['currentState'],
    ),
    TransitionPreconditionRequired: error(
      428,
      { const: 'PRECONDITION_REQUIRED' },
      { id: { type: 'string' } },
    ),
    TransitionUnsupportedMediaType: error(415, { const: 'UNSUPPORTED_MEDIA_TYPE' }),
    TransitionKeyReused: error(422, { const: 'IDEMPOTENCY_KEY_REUSED' }),
    TransitionStoreUnavailable: error(
      503,
      { const: 'STORE_UNAVAILABLE' },
      { outcome: { type: 'string', enum: ['not-applied', 'unknown'] } },
      ['outcome'],
    ),
    ProblemDetails: {
      type: 'object',
      description:
        'RFC 9457 problem details: the standard members, plus the same fields as the plain body',
      properties: {
        type: { type: 'string', format: 'uri-reference' },
        title: { type: 'string' },
        status: { type: 'integer' },
        detail: { type: 'string' },
        instance: { type: 'string' },
        code: { type: 'string' },
        reason: { type: 'string' },
      },
      required: ['type', 'title', 'status', 'detail'],
    },
  };
}
