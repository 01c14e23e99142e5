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
 * What makes two requests "the same request": method, path and body (key order ignored), hashed.
 * Throws `JsonTooDeepError` for a body nested deeper than `MAX_JSON_DEPTH` levels.
 *
 * @example
 * requestFingerprint('POST', '/orders/1/pay', { amount: 5 }) ===
 *   requestFingerprint('post', '/orders/1/pay', { amount: 5 }); // true
 */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`)
    .digest('base64url');
}
