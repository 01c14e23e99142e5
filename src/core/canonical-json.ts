/** `JSON.stringify`, typed as it behaves: undefined for `undefined`, functions and symbols. */
export const jsonText = JSON.stringify as (value: unknown) => string | undefined;

/** How deep `canonicalJson` follows nested arrays and objects before it refuses. */
export const MAX_JSON_DEPTH = 64;

/** A value nested deeper than `canonicalJson` follows: refused instead of overflowing the stack. *
 * @example
 * canonicalJson(JSON.parse('['.repeat(100) + ']'.repeat(100))); // throws JsonTooDeepError
 */
export class JsonTooDeepError extends RangeError {
  override readonly name = 'JsonTooDeepError';
  constructor(readonly maxDepth: number) {
    super(`JSON value nested deeper than ${maxDepth} levels`);
  }
}

/**
 * JSON with object keys sorted at every level, so that equal values give equal strings whatever
 * their key order: how parallel state values are stored and compared, and what an idempotency
 * fingerprint hashes. `undefined` gives `''`. Throws `JsonTooDeepError` past `maxDepth` levels,
 * so hostile input costs a bounded stack.
 *
 * @example
 * canonicalJson({ sla: 'running', status: 'open' }) === canonicalJson({ status: 'open', sla: 'running' }); // true
 * canonicalJson({ b: [1, { d: 1, c: 2 }], a: null }); // '{"a":null,"b":[1,{"c":2,"d":1}]}'
 */
export function canonicalJson(value: unknown, maxDepth: number = MAX_JSON_DEPTH): string {
  if (value === undefined) return '';
  return write(value, 0, maxDepth);
}

function write(value: unknown, depth: number, maxDepth: number): string {
  if (value === null || typeof value !== 'object') return jsonText(value) ?? 'null';
  if (depth >= maxDepth) throw new JsonTooDeepError(maxDepth);
  if (Array.isArray(value)) {
    return `[${value.map((v: unknown) => write(v, depth + 1, maxDepth)).join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${write(record[k], depth + 1, maxDepth)}`).join(',')}}`;
}
