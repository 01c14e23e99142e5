import { logColumnName, LOG_COLUMNS } from '../log-rows.js';
import type { LibraryTable, SqlConnection, TableNames } from './sql-connection.js';

/** The properties of each library table, by table (the columns are named as the properties). */
export const LIBRARY_COLUMNS: Readonly<Record<LibraryTable, readonly string[]>> = {
  transition_log: ['id', ...LOG_COLUMNS],
  idempotency_keys: [
    'caller',
    'key',
    'fingerprint',
    'token',
    'status',
    'response',
    'committed',
    'leaseUntilMs',
    'expiresAtMs',
  ],
  transition_outbox: [
    'id',
    'transitionId',
    'handler',
    'record',
    'payload',
    'status',
    'attempts',
    'availableAtMs',
    'lockedUntilMs',
    'createdAtMs',
    'claim',
    'lastError',
  ],
  transition_handled: ['transitionId', 'handler', 'handledAtMs'],
};

/** A library table's names as the connection has them, by default its own. */
export function libraryNames(connection: SqlConnection, table: LibraryTable): TableNames {
  return (
    connection.libraryTable?.(table) ?? {
      table,
      column: (property) =>
        table === 'transition_log'
          ? logColumnName(property as (typeof LOG_COLUMNS)[number])
          : property,
    }
  );
}
