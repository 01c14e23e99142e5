/** What a key column can hold, for `TransitionStore.canonicalId`. */
export type KeyType =
  | { readonly kind: 'integer'; readonly max: bigint }
  | { readonly kind: 'uuid' }
  | { readonly kind: 'string'; readonly maxLength: number };

/** 2^31 - 1: PostgreSQL `integer`, MySQL `INT`. */
export const INT32_MAX = 2_147_483_647n;
/** 2^63 - 1: `bigint`, and every SQLite INTEGER. */
export const INT64_MAX = 9_223_372_036_854_775_807n;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The id as a key of this type holds it, or undefined when no row can have it: integers are
 * digits without leading zeros within the column's range (`0` itself allowed); UUIDs are
 * lower-cased; strings are 1 to `maxLength` characters without NUL or control characters.
 */
export function canonicalKey(type: KeyType, id: string): string | undefined {
  switch (type.kind) {
    case 'integer':
      return /^(0|[1-9][0-9]{0,18})$/.test(id) && BigInt(id) <= type.max ? id : undefined;
    case 'uuid':
      return UUID.test(id) ? id.toLowerCase() : undefined;
    case 'string':
      // eslint-disable-next-line no-control-regex -- control characters are what it refuses
      return id.length >= 1 && id.length <= type.maxLength && !/[\u0000-\u001f\u007f]/.test(id)
        ? id
        : undefined;
  }
}

/**
 * The key type of a column, from the column type as ORMs name it (`int`, `integer`, `int4`,
 * `bigint`, `uuid`, `varchar`, ...) and the database (SQLite integers are 64-bit).
 */
export function keyTypeOf(
  columnType: string,
  options: { sqlite: boolean; length?: number },
): KeyType {
  const t = columnType.toLowerCase();
  if (/^(int|integer|int4|int32|mediumint|smallint|int2|tinyint|serial|increment)$/.test(t)) {
    return {
      kind: 'integer',
      max: options.sqlite ? INT64_MAX : /small|int2|tiny/.test(t) ? 32_767n : INT32_MAX,
    };
  }
  if (/^(bigint|int8|int64|bigserial)$/.test(t)) return { kind: 'integer', max: INT64_MAX };
  if (t === 'uuid') return { kind: 'uuid' };
  return { kind: 'string', maxLength: Math.min(options.length ?? 255, 1024) };
}

/**
 * The id as a query parameter for a key of this type: integers that fit a JavaScript number as
 * numbers, the rest (bigger integers, UUIDs, strings) as strings, which the drivers pass exactly.
 */
export function keyValue(type: KeyType, id: string): string | number {
  return type.kind === 'integer' && Number.isSafeInteger(Number(id)) ? Number(id) : id;
}
