import { decodeState } from '../core/state-value.js';
import type { StoredResource } from './transition-store.interface.js';

/**
 * A resource from a row as an ORM store read it: the state decoded from its column, the version
 * where the table keeps one, and what the machine's guards read (`context`, or the whole row).
 */
export function resourceOfRow<TRow, TContext>(
  row: TRow,
  names: {
    readonly state: keyof TRow;
    readonly version?: keyof TRow;
    readonly context?: (row: TRow) => TContext;
  },
): StoredResource<TContext> {
  const version = names.version === undefined ? undefined : Number(row[names.version]);
  return {
    state: decodeState(row[names.state] as string),
    context: names.context ? names.context(row) : (row as unknown as TContext),
    ...(version === undefined ? {} : { version }),
  };
}
