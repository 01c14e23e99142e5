import { logColumnName, LOG_COLUMNS } from '../log-rows.js';
import type { LibraryTable, SqlConnection, TableNames } from './sql-connection.js';

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
