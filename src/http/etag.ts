/**
 * ETags for transitions (RFC 9110 section 8.8.3): strong, derived from the resource's version,
 * `"v3"`. A resource without a version has no ETag.
 *
 * @example
 * etagFor(3); // '"v3"'
 */
export function etagFor(version: number | undefined | null): string | undefined {
  return version === undefined || version === null ? undefined : `"v${version}"`;
}

/**
 * The version a strong ETag of {@link etagFor} names, or undefined for any other tag.
 *
 * @example
 * versionOfEtag('"v3"'); // 3
 */
export function versionOfEtag(tag: string): number | undefined {
  const match = /^"v(0|[1-9][0-9]{0,15})"$/.exec(tag);
  const version = match ? Number(match[1]) : undefined;
  return version !== undefined && Number.isSafeInteger(version) ? version : undefined;
}

/** `If-Match` as data: `*`, or the strong entity tags listed (weak ones never match, section 13.1.1). */
export type IfMatch = { readonly any: true } | { readonly any: false; readonly tags: string[] };

/**
 * Parses an `If-Match` header value; returns undefined when it is malformed.
 *
 * @example
 * parseIfMatch('"v3", "v4"'); // { any: false, tags: ['"v3"', '"v4"'] }
 * parseIfMatch('*'); // { any: true }
 */
export function parseIfMatch(header: unknown): IfMatch | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (typeof value !== 'string') return undefined;
  if (value.trim() === '*') return { any: true };
  const tags: string[] = [];
  for (const part of value.split(',')) {
    const tag = part.trim();
    if (!tag) continue;
    if (!/^(W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/.test(tag)) return undefined;
    if (!tag.startsWith('W/')) tags.push(tag);
  }
  return tags.length || value.includes('W/') ? { any: false, tags } : undefined;
}

/**
 * Whether `If-Match` holds for a resource with this ETag (strong comparison).
 *
 * @example
 * ifMatchHolds(parseIfMatch('"v3"')!, etagFor(3)); // true
 */
export function ifMatchHolds(ifMatch: IfMatch, etag: string | undefined): boolean {
  return ifMatch.any || (etag !== undefined && ifMatch.tags.includes(etag));
}
