import { canonicalJson } from '../core/canonical-json.js';
import { decodeState, encodeState } from '../core/state-value.js';
import type { HistoryEntry, HistoryPage, TransitionRecord } from './transition-store.interface.js';

/**
 * A transition log row as every store keeps it (table `transition_log`; TypeORM's
 * `TransitionLogEntry`, Drizzle's `sqliteTransitionLog` / `pgTransitionLog`, Prisma's model in
 * the README): states encoded as stored, the time as ISO text, metadata as JSON.
 */
/** A row of the transition log, as the stores write it. */
export interface TransitionLogRow {
  readonly transitionId: string | null;
  readonly resource: string;
  readonly resourceId: string;
  readonly event: string;
  readonly from: string;
  readonly to: string;
  readonly version: number | null;
  readonly actor: string | null;
  readonly at: string;
  readonly reason: string | null;
  readonly comment: string | null;
  readonly metadata: string | null;
  readonly machineVersion: string | null;
  readonly correlationId: string | null;
}

/** The log's properties, in the order the stores' INSERT statements list them. */
export const LOG_COLUMNS = [
  'transitionId',
  'resource',
  'resourceId',
  'event',
  'from',
  'to',
  'version',
  'actor',
  'at',
  'reason',
  'comment',
  'metadata',
  'machineVersion',
  'correlationId',
] as const satisfies readonly (keyof TransitionLogRow)[];

/** The database column of a log property (`from` and `to` are reserved words in SQL). */
export const logColumnName = (property: (typeof LOG_COLUMNS)[number]): string =>
  property === 'from' ? 'from_state' : property === 'to' ? 'to_state' : property;

/**
 * The record as written: with the version the write gave the row when the write did not compare
 * versions (the caller could not know it), else as given.
 */
export function writtenRecord(
  record: TransitionRecord,
  compared: boolean,
  version: number | undefined,
): TransitionRecord {
  return compared || version === undefined || record.version === version
    ? record
    : { ...record, version };
}

/** The row a store writes for a committed transition. */
export function logRowOf(record: TransitionRecord): TransitionLogRow {
  return {
    transitionId: record.transitionId,
    resource: record.resource,
    resourceId: record.resourceId,
    event: record.event,
    from: encodeState(record.from),
    to: encodeState(record.to),
    version: record.version ?? null,
    actor: record.actor,
    at: record.at.toISOString(),
    reason: record.reason,
    comment: record.comment,
    metadata: record.metadata ? canonicalJson(record.metadata) : null,
    machineVersion: record.machineVersion,
    correlationId: record.correlationId,
  };
}

/** A log row (with its id) read back as a history entry; the id is the paging cursor. */
export function historyEntryOf(
  row: TransitionLogRow & { readonly id: number | string },
): HistoryEntry {
  return {
    cursor: String(row.id),
    transitionId: row.transitionId ?? '',
    resource: row.resource,
    resourceId: row.resourceId,
    event: row.event,
    from: decodeState(row.from),
    to: decodeState(row.to),
    version: row.version ?? undefined,
    actor: row.actor,
    at: new Date(row.at),
    reason: row.reason,
    comment: row.comment,
    metadata: row.metadata ? (JSON.parse(row.metadata) as Record<string, unknown>) : null,
    machineVersion: row.machineVersion ?? '',
    correlationId: row.correlationId,
  };
}

/**
 * A history page from the log rows a store read, newest first: `limit + 1` asked for, so that
 * one more than the page says whether an older page exists.
 */
export function historyPageOf(
  rows: readonly (TransitionLogRow & { readonly id: number | string })[],
  limit: number,
): HistoryPage {
  const entries = rows.slice(0, limit).map(historyEntryOf);
  return { entries, next: rows.length > limit ? (entries.at(-1)?.cursor ?? null) : null };
}
