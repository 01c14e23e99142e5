import { getTableColumns, getTableName, type Column, type Table } from 'drizzle-orm';
import { keyTypeOf } from '../key-types.js';
import type { SqlRow } from '../sql/sql-connection.js';
import type { ResourceTable } from '../sql/sql-transition-store.js';

/**
 * A Drizzle table as the SQL core reads and writes it: its name and columns from the table
 * object, values converted by each column as Drizzle's query builders would (into the driver,
 * out of a row), the key's type from its SQL type.
 */
export function drizzleTable<TRow>(
  table: Table,
  properties: { readonly id: string; readonly state: string; readonly version?: string },
  options: { readonly sqlite: boolean },
): ResourceTable<TRow> {
  const columns = getTableColumns(table) as Record<string, Column>;
  const columnOf = (property: string): Column => {
    const column = columns[property] as Column | undefined;
    if (!column) {
      throw new Error(
        `table ${getTableName(table)} has no column property '${property}' (columns: ${Object.keys(columns).join(', ')}).`,
      );
    }
    return column;
  };
  const schema = (table as unknown as Record<symbol, string | undefined>)[
    Symbol.for('drizzle:Schema')
  ];
  const id = columnOf(properties.id);
  const [, type = 'text', length] = /^(\w+)(?:\((\d+)\))?/.exec(id.getSQLType()) ?? [];
  const entries = Object.entries(columns);
  return {
    columns: {
      table: schema ? `${schema}.${getTableName(table)}` : getTableName(table),
      id: id.name,
      state: columnOf(properties.state).name,
      version: properties.version && columnOf(properties.version).name,
      selected: entries.map(([, c]) => c.name),
    },
    columnOf: (property) => columnOf(property).name,
    toColumn: (property, value) =>
      value === null ? null : (columnOf(property).mapToDriverValue(value) as unknown),
    hydrate: (raw: SqlRow) => {
      const row: Record<string, unknown> = {};
      for (const [property, column] of entries) {
        if (!(column.name in raw)) continue;
        const value = raw[column.name];
        row[property] = value === null ? null : (column.mapFromDriverValue(value) as unknown);
      }
      return row as TRow;
    },
    key: keyTypeOf(type, { sqlite: options.sqlite, length: length ? Number(length) : undefined }),
  };
}
