import type { IdempotencyRecord, StoredResponse } from './idempotency-store.interface.js';

/**
 * An Idempotency-Key row as every store keeps it (table `idempotency_keys`): response and
 * committed transition as JSON, times in epoch milliseconds (bigint columns, which some drivers
 * return as strings).
 */
export interface IdempotencyRow {
  readonly fingerprint: string;
  readonly token: string;
  readonly status: IdempotencyRecord['status'];
  readonly response: string | null;
  readonly committed: string | null;
  readonly leaseUntilMs: number | string;
  readonly expiresAtMs: number | string;
}

/** The record of a key's row, or null when there is none or it expired. */
export function idempotencyRecordOf(
  caller: string,
  key: string,
  row: IdempotencyRow | null | undefined,
): IdempotencyRecord | null {
  if (!row || Number(row.expiresAtMs) <= Date.now()) return null;
  return {
    caller,
    key,
    fingerprint: row.fingerprint,
    token: row.token,
    status: row.status,
    leaseUntil: new Date(Number(row.leaseUntilMs)),
    expiresAt: new Date(Number(row.expiresAtMs)),
    ...(row.response ? { response: JSON.parse(row.response) as StoredResponse } : {}),
    ...(row.committed ? { committed: JSON.parse(row.committed) as unknown } : {}),
  };
}
