import type { DataSource, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import { LOG_COLUMNS } from '../log-rows.js';
import { OUTBOX_INSERTED } from '../outbox-rows.js';
import { TransitionOutboxEntry } from './outbox.entities.js';
import { TransitionLogEntry } from './transition-log.entity.js';

/**
 * The SQL a TypeORM store runs on its hot path, built once per store from the entity's metadata
 * and run with placeholders (`$1` on PostgreSQL, `?` on SQLite): the same text every time, so
 * better-sqlite3's statement cache prepares it once, and no query builder regenerates it per
 * request. Values go through the driver's own conversions, as the repository would.
 */
export class TypeOrmStatements<E extends ObjectLiteral> {
  readonly meta: EntityMetadata;
  readonly postgres: boolean;
  private readonly table: string;
  private readonly columns: readonly ColumnMetadata[];
  private readonly updates = new Map<string, string>();
  private readonly together = new Map<string, string>();
  readonly load: string;
  readonly lockAndLoad: string;
  readonly insertLog: string | undefined;

  constructor(
    private readonly dataSource: DataSource,
    entity: EntityTarget<E>,
    private readonly names: { id: string; state: string; version: string | undefined },
    log: boolean,
  ) {
    this.meta = dataSource.getMetadata(entity);
    this.postgres = dataSource.options.type === 'postgres';
    this.table = this.quoteTable(this.meta.tablePath);
    this.columns = this.meta.columns;
    const select = `SELECT ${this.columns.map((c) => this.q(c.databaseName)).join(', ')} FROM ${this.table} WHERE ${this.col(names.id)} = ${this.p(1)}`;
    this.load = select;
    // SQLite has no row locks: its transaction takes the write lock first (see the store).
    this.lockAndLoad = this.postgres ? `${select} FOR UPDATE` : select;
    this.insertLog = log ? this.logInsert() : undefined;
  }

  /**
   * `UPDATE ... SET state, version + 1, changes WHERE id AND state [AND version] RETURNING ...`
   * for this set of changed properties (cached per set), and its parameters.
   */
  update(
    changes: readonly string[],
    withVersion: boolean,
    returning: boolean,
  ): { sql: string; columns: readonly ColumnMetadata[] } {
    const key = `${changes.join(',')}|${String(withVersion)}|${String(returning)}`;
    const columns = changes.map((p) => this.column(p));
    let sql = this.updates.get(key);
    if (!sql) {
      const { id, state, version } = this.names;
      let n = 1;
      const sets = [`${this.col(state)} = ${this.p(n++)}`];
      if (version) sets.push(`${this.col(version)} = ${this.col(version)} + 1`);
      for (const c of columns) sets.push(`${this.q(c.databaseName)} = ${this.p(n++)}`);
      let where = `${this.col(id)} = ${this.p(n++)} AND ${this.col(state)} = ${this.p(n++)}`;
      if (version && withVersion) where += ` AND ${this.col(version)} = ${this.p(n)}`;
      const back = returning
        ? this.columns.map((c) => this.q(c.databaseName)).join(', ')
        : [this.col(id), ...(version ? [this.col(version)] : [])].join(', ');
      sql = `UPDATE ${this.table} SET ${sets.join(', ')} WHERE ${where} RETURNING ${back}`;
      this.updates.set(key, sql);
    }
    return { sql, columns };
  }

  /**
   * PostgreSQL: the compare-and-set `update` (with `params` parameters), its log row and `messages`
   * outbox messages as one statement, data-modifying CTEs: one round trip, all or nothing, and
   * the INSERTs select from the updated row, so a compare-and-set that misses writes nothing.
   * The log's version is the row's; the other values follow as parameters: the log row's
   * `LOG_COLUMNS` (but the version, when the table keeps one), then each message's
   * `OUTBOX_INSERTED`.
   */
  withInserts(update: string, params: number, log: boolean, messages: number): string {
    const key = `${update}|${String(params)}|${String(log)}|${String(messages)}`;
    let sql = this.together.get(key);
    if (!sql) {
      let n = params;
      const parts = [`w AS (${update})`];
      if (log) {
        const version = this.names.version && `w.${this.col(this.names.version)}`;
        const values = LOG_COLUMNS.map((c) => (c === 'version' && version ? version : `$${++n}`));
        parts.push(`l AS (${this.logInsertHead()} SELECT ${values.join(', ')} FROM w)`);
      }
      const outbox = messages ? this.dataSource.getMetadata(TransitionOutboxEntry) : undefined;
      for (let m = 0; outbox && m < messages; m++) {
        const columns = OUTBOX_INSERTED.map((p) => this.q(columnOf(outbox, p).databaseName));
        const values = OUTBOX_INSERTED.map(() => `$${++n}`);
        parts.push(
          `o${String(m)} AS (INSERT INTO ${this.quoteTable(outbox.tablePath)} (${columns.join(', ')}) SELECT ${values.join(', ')} FROM w)`,
        );
      }
      sql = `WITH ${parts.join(', ')} SELECT * FROM w`;
      this.together.set(key, sql);
    }
    return sql;
  }

  /** A value as the column stores it (the driver's conversion). */
  toColumn(column: ColumnMetadata, value: unknown): unknown {
    return this.dataSource.driver.preparePersistentValue(value, column) as unknown;
  }

  /** A raw row of `load` (or `RETURNING`) as an entity-shaped object. */
  hydrate(raw: Record<string, unknown>): E {
    const out: Record<string, unknown> = {};
    for (const c of this.columns) {
      out[c.propertyName] = this.dataSource.driver.prepareHydratedValue(
        raw[c.databaseName],
        c,
      ) as unknown;
    }
    return out as E;
  }

  column(property: string): ColumnMetadata {
    const column = this.meta.findColumnWithPropertyName(property);
    if (!column) {
      throw new Error(
        `TypeOrmTransitionStore: entity ${this.meta.name} has no property '${property}' (columns: ${this.meta.columns.map((c) => c.propertyName).join(', ')})`,
      );
    }
    return column;
  }

  private logInsert(): string {
    return `${this.logInsertHead()} VALUES (${LOG_COLUMNS.map((_, i) => this.p(i + 1)).join(', ')})`;
  }

  /** `INSERT INTO transition_log (columns)`, in `LOG_COLUMNS` order. */
  private logInsertHead(): string {
    const meta = this.dataSource.getMetadata(TransitionLogEntry);
    const cols = LOG_COLUMNS.map((p) => this.q(columnOf(meta, p).databaseName));
    return `INSERT INTO ${this.quoteTable(meta.tablePath)} (${cols.join(', ')})`;
  }

  private col(property: string): string {
    return this.q(this.column(property).databaseName);
  }

  private q(name: string): string {
    return this.dataSource.driver.escape(name);
  }

  private quoteTable(path: string): string {
    return path
      .split('.')
      .map((part) => this.q(part))
      .join('.');
  }

  private p(n: number): string {
    return this.postgres ? `$${n}` : '?';
  }
}

function columnOf(meta: EntityMetadata, property: string): ColumnMetadata {
  const column = meta.findColumnWithPropertyName(property);
  if (!column) throw new Error(`${meta.name} has no property '${property}'`);
  return column;
}
