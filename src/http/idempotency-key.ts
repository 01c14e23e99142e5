import { createHash } from 'node:crypto';

/** Longest accepted key. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * Reads an `Idempotency-Key` header (IETF httpapi draft: a structured-field string, so it may be
 * quoted). Returns the key, `undefined` when absent, or `null` when malformed (empty, too long,
 * characters outside letters, digits and `-_.:`).
 */
export function parseIdempotencyKey(
  header: string | string[] | undefined,
): string | undefined | null {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) return null;
  const raw = header.trim();
  const key = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1) : raw;
  return /^[A-Za-z0-9_.:-]+$/.test(key) && key.length <= MAX_IDEMPOTENCY_KEY_LENGTH ? key : null;
}

/** What makes two requests "the same request": method, path and body (key order ignored). */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`)
    .digest('base64url');
}

function canonicalJson(value: unknown): string {
  if (value === undefined) return '';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}
