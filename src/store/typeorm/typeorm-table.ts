import type { DataSource, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import { keyTypeOf } from '../key-types.js';
import type { SqlRow } from '../sql/sql-connection.js';
import type { ResourceTable } from '../sql/sql-transition-store.js';

/**
 * A TypeORM entity as the SQL core reads and writes it: its table and columns from the
 * DataSource's metadata, values converted by the driver as the repository would (into a column,
 * out of a row), the key's type and range from its column.
 */
export function typeOrmTable<E extends ObjectLiteral>(
  dataSource: DataSource,
  entity: EntityTarget<E>,
  properties: { readonly id: string; readonly state: string; readonly version?: string },
): ResourceTable<E> {
  const meta = dataSource.getMetadata(entity);
  const driver = dataSource.driver;
  const columnOf = (property: string) => column(meta, property);
  const idColumn = columnOf(properties.id);
  return {
    columns: {
      table: meta.tablePath,
      id: idColumn.databaseName,
      state: columnOf(properties.state).databaseName,
      version: properties.version && columnOf(properties.version).databaseName,
      selected: meta.columns.map((c) => c.databaseName),
    },
    columnOf: (property) => columnOf(property).databaseName,
    toColumn: (property, value) =>
      driver.preparePersistentValue(value, columnOf(property)) as unknown,
    hydrate: (raw: SqlRow) => {
      const row: Record<string, unknown> = {};
      for (const c of meta.columns) {
        if (c.databaseName in raw) {
          row[c.propertyName] = driver.prepareHydratedValue(raw[c.databaseName], c) as unknown;
        }
      }
      return row as E;
    },
    key: keyTypeOf(
      idColumn.generationStrategy === 'uuid' ? 'uuid' : driver.normalizeType(idColumn),
      {
        sqlite: /sqlite/.test(dataSource.options.type),
        length: Number(idColumn.length) || undefined,
      },
    ),
  };
}

function column(meta: EntityMetadata, property: string) {
  const found = meta.findColumnWithPropertyName(property);
  if (!found) {
    throw new Error(
      `entity ${meta.name} has no column property '${property}' (columns: ${meta.columns.map((c) => c.propertyName).join(', ')}).`,
    );
  }
  return found;
}
