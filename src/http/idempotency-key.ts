import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';

/** Longest accepted key. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * Reads an `Idempotency-Key` header (IETF httpapi draft: a structured-field string, so it may be
 * quoted). Returns the key, `undefined` when absent, or `null` when malformed (empty, too long,
 * characters outside letters, digits and `-_.:`).
 *
 * @example
 * parseIdempotencyKey('"order-7-pay"'); // 'order-7-pay'
 * parseIdempotencyKey('a b'); // null
 */
export function parseIdempotencyKey(header: unknown): string | undefined | null {
  if (header === undefined) return undefined;
  if (typeof header !== 'string') return null;
  const raw = header.trim();
  const key = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1) : raw;
  return /^[A-Za-z0-9_.:-]+$/.test(key) && key.length <= MAX_IDEMPOTENCY_KEY_LENGTH ? key : null;
}

/**
 * What makes two requests "the same request": the transition they ask for (the resource, the
 * resolved id and the event, wherever the route read them: path, query, header or body), the
 * method, the path and the body (key order ignored), hashed. Throws `JsonTooDeepError` for a body
 * nested deeper than `MAX_JSON_DEPTH` levels.
 *
 * @example
 * requestFingerprint('POST', '/invoices/pay', { amount: 5 }, { resource: 'invoice', id: '1', event: 'PAY' }) !==
 *   requestFingerprint('POST', '/invoices/pay', { amount: 5 }, { resource: 'invoice', id: '2', event: 'PAY' }); // true
 */
export function requestFingerprint(
  method: string,
  path: string,
  body: unknown,
  asked: { readonly resource: string; readonly id: string; readonly event: string },
): string {
  return createHash('sha256')
    .update(
      `${asked.resource}\n${asked.id}\n${asked.event}\n${method.toUpperCase()} ${path}\n${canonicalJson(body)}`,
    )
    .digest('base64url');
}
