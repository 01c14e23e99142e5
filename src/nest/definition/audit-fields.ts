import { canonicalJson, JsonTooDeepError } from '../../core/canonical-json.js';
import { InvalidTransitionRequestException } from '../errors/request.exceptions.js';
import type { RequestedEvent } from '../definition/guard-request.js';

/** The body fields a route with `audit: true` takes for the transition log. */
export const AUDIT_FIELDS = ['reason', 'comment', 'metadata'] as const;

/** Why and how a transition was asked for, as the transition log keeps it. */
export interface TransitionAudit {
  /** A word or a phrase, up to 200 characters. */
  readonly reason?: string;
  /** Free text, up to 2,000 characters. */
  readonly comment?: string;
  /** A JSON object, up to 4 KB (as canonical JSON) and 5 levels deep. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export const AUDIT_LIMITS = { reason: 200, comment: 2000, metadataBytes: 4096, metadataDepth: 5 };

/**
 * Takes the audit fields out of the event's payload; 400 `INVALID_AUDIT` when one has the wrong
 * type or size (nothing is changed).
 */
export function takeAudit(
  requested: RequestedEvent,
  resource: string,
): { requested: RequestedEvent; audit: TransitionAudit } {
  const { reason, comment, metadata, ...payload } = requested.payload;
  const fail = (message: string): never => {
    throw InvalidTransitionRequestException.of('INVALID_AUDIT', resource, message, {
      event: requested.type,
    });
  };
  const audit = checkAudit({ reason, comment, metadata }, fail);
  return { requested: { type: requested.type, payload }, audit };
}

/** Checks audit fields of unknown shape; `fail` says why (a 400 from a request, an error from code). */
export function checkAudit(
  fields: { reason?: unknown; comment?: unknown; metadata?: unknown },
  fail: (message: string) => never,
): TransitionAudit {
  const text = (name: 'reason' | 'comment', value: unknown): string | undefined => {
    if (value === undefined || value === null) return undefined;
    const max = AUDIT_LIMITS[name];
    if (typeof value !== 'string')
      return fail(`${name} must be a string (up to ${max} characters)`);
    if (value.length > max) return fail(`${name} is longer than ${max} characters`);
    if (value.includes('\u0000')) return fail(`${name} must not contain NUL characters`);
    return value;
  };
  const reason = text('reason', fields.reason);
  const comment = text('comment', fields.comment);
  let metadata: Record<string, unknown> | undefined;
  const m = fields.metadata;
  if (m !== undefined && m !== null) {
    if (typeof m !== 'object' || Array.isArray(m)) fail('metadata must be a JSON object');
    const json = metadataJson(m, fail);
    if (Buffer.byteLength(json) > AUDIT_LIMITS.metadataBytes) {
      fail(`metadata is larger than ${AUDIT_LIMITS.metadataBytes} bytes as JSON`);
    }
    metadata = JSON.parse(json) as Record<string, unknown>;
  }
  return {
    ...(reason === undefined ? {} : { reason }),
    ...(comment === undefined ? {} : { comment }),
    ...(metadata === undefined ? {} : { metadata }),
  };
}

function metadataJson(metadata: unknown, fail: (message: string) => never): string {
  try {
    return canonicalJson(metadata, AUDIT_LIMITS.metadataDepth);
  } catch (err) {
    if (err instanceof JsonTooDeepError) {
      return fail(`metadata is nested deeper than ${AUDIT_LIMITS.metadataDepth} levels`);
    }
    throw err;
  }
}
