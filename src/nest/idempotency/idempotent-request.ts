import { JsonTooDeepError } from '../../core/canonical-json.js';
import {
  MAX_IDEMPOTENCY_KEY_LENGTH,
  parseIdempotencyKey,
  requestFingerprint,
} from '../../http/index.js';
import { messages } from '../errors/messages.js';
import { InvalidTransitionRequestException } from '../errors/request.exceptions.js';
import type { GuardRequest } from '../definition/guard-request.js';
import type { IdempotentRequest } from './idempotency-session.js';

/**
 * The request's `Idempotency-Key` with what it is bound to (the caller, and the fingerprint of
 * the transition asked for, the method, the path and the body); undefined without the header. A
 * malformed key, or a body too deep to fingerprint, is a 400.
 */
export function readIdempotentRequest(
  request: GuardRequest,
  asked: { readonly resource: string; readonly id: string; readonly event: string },
  who: { caller: string | null; roles: readonly string[]; anonymousKeys: 'refuse' | 'shared' },
): IdempotentRequest | undefined {
  const { resource } = asked;
  const key = parseIdempotencyKey(request.headers['idempotency-key']);
  if (key === undefined) return undefined;
  if (key === null) {
    throw InvalidTransitionRequestException.of(
      'INVALID_IDEMPOTENCY_KEY',
      resource,
      messages.invalidIdempotencyKey(MAX_IDEMPOTENCY_KEY_LENGTH),
    );
  }
  if (who.caller === null && who.anonymousKeys === 'refuse') {
    throw InvalidTransitionRequestException.of(
      'IDEMPOTENCY_CALLER_REQUIRED',
      resource,
      messages.callerRequired(),
    );
  }
  const caller = who.caller ?? 'anonymous';
  const path = (request.originalUrl ?? request.url ?? '').split('?')[0];
  try {
    const fingerprint = requestFingerprint(String(request.method), path, request.body, asked);
    return { caller, key, fingerprint, roles: who.roles };
  } catch (err) {
    if (!(err instanceof JsonTooDeepError)) throw err;
    throw InvalidTransitionRequestException.of(
      'INVALID_EVENT',
      resource,
      messages.bodyTooDeep(err.maxDepth),
    );
  }
}
