import { type StoredState } from '../../core/index.js';
import { encodeState } from '../../core/state-value.js';
import { callDatabase } from '../database-failures.js';
import type { JoinedTransaction } from '../ambient-transaction.js';
import { canonicalKey, keyValue, INT32_MAX, INT64_MAX, type KeyType } from '../key-types.js';
import {
  historyPageOf,
  LOG_COLUMNS,
  logColumnName,
  logRowOf,
  nextVersion,
  writtenRecord,
  type TransitionLogRow,
} from '../log-rows.js';
import { resourceOfRow } from '../row-resource.js';
import { assertChangesAllowed } from '../store-errors.js';
import type {
  CompareAndSetOptions,
  ExpectedState,
  HistoryPage,
  HistoryQuery,
  LockedDecision,
  StoredResource,
  TransitionRecord,
  TransitionStore,
  WriteResult,
} from '../transition-store.interface.js';
import {
  plainRow,
  quote,
  type SqlConnection,
  type SqlQueries,
  type SqlRow,
} from './sql-connection.js';

/** The model's fields whose values are strings: where a state can be kept. */
export type StringField<TRow> = {
  [K in keyof TRow]-?: TRow[K] extends string ? K : never;
}[keyof TRow] &
  string;
/** The model's fields whose values are numbers: where a version can be kept. */
export type NumberField<TRow> = {
  [K in keyof TRow]-?: TRow[K] extends number ? K : never;
}[keyof TRow] &
  string;

export interface SqlTransitionStoreOptions<TRow extends object, TContext> {
  /** The table, as the database names it. */
  readonly table: string;
  /** Field holding the state: a `String` field (parallel state values are stored as JSON). */
  readonly stateField: StringField<TRow>;
  /** Field holding the version, an `Int` field the write increments; omit if there is none. */
  readonly versionField?: NumberField<TRow>;
  /** Primary key field. Default `'id'`. */
  readonly idField?: keyof TRow & string;
  /** The key's type, for 400 on ids no row can have. Default `'integer'`. */
  readonly idType?: 'integer' | 'bigint' | 'uuid' | 'string';
  /** Column names of fields named otherwise in the database; the others are named as the field. */
  readonly columns?: { readonly [K in keyof TRow]?: string };
  /** What the machine's guards read, from a row. Default: the whole row. */
  readonly context?: (row: TRow) => TContext;
  /** Write a row in `transition_log` in the same transaction as each state change. */
  readonly log?: boolean;
  /** Name for messages ('order'). Default: the table's name. */
  readonly name?: string;
}

/**
 * A `TransitionStore` in raw SQL on an ORM's connection (`SqlConnection`), for SQLite and
 * PostgreSQL: the core of `PrismaTransitionStore` and `MikroOrmTransitionStore`.
 * `compareAndSet` is one statement, `UPDATE ... SET state, version = version + 1, changes WHERE
 * id AND state [AND version] RETURNING *`, built once per set of changed fields and run with
 * placeholders; the log row and the `beforeCommit` hooks (which get the ORM's transaction
 * handle) commit with it in one transaction.
 *
 * @example
 * // An ORM adapter is a `SqlConnection`; the store is the same on every ORM.
 * class OrderStore extends SqlTransitionStore<Order, OrderContext> {
 *   constructor(connection: SqlConnection) {
 *     super(connection, { table: 'orders', stateField: 'status', versionField: 'version', log: true });
 *   }
 * }
 */
export class SqlTransitionStore<TRow extends object, TContext = TRow> implements TransitionStore<
  TContext,
  Partial<TRow>
> {
  private readonly idField: string;
  private readonly name: string;
  private readonly owned: string[];
  private readonly fieldOf = new Map<string, string>();
  private readonly updates = new Map<string, string>();
  private readonly sql: { load: string; lockAndLoad: string; insertLog: string };

  constructor(
    protected readonly connection: SqlConnection,
    protected readonly options: SqlTransitionStoreOptions<TRow, TContext>,
  ) {
    this.idField = options.idField ?? 'id';
    this.name = options.name ?? options.table;
    this.owned = [
      options.stateField,
      this.idField,
      ...(options.versionField ? [options.versionField] : []),
    ];
    for (const [field, column] of Object.entries(options.columns ?? {})) {
      this.fieldOf.set(column as string, field);
    }
    const p = (n: number) => this.connection.placeholder(n);
    const load = `SELECT * FROM ${quote(options.table)} WHERE ${this.col(this.idField)} = ${p(1)}`;
    this.sql = {
      load,
      // SQLite has no row locks: the transaction's first statement takes the write lock.
      lockAndLoad: this.connection.postgres ? `${load} FOR UPDATE` : load,
      insertLog:
        `INSERT INTO "transition_log" (${LOG_COLUMNS.map((c) => quote(logColumnName(c))).join(', ')}) ` +
        `VALUES (${LOG_COLUMNS.map((_, i) => p(i + 1)).join(', ')})`,
    };
  }

  async load(id: string): Promise<StoredResource<TContext> | null> {
    const rows = await this.call('plain', (q) => q.query(this.sql.load, [this.idValue(id)]));
    return rows[0] ? this.toResource(this.toRow(rows[0])) : null;
  }

  async compareAndSet(
    id: string,
    expected: ExpectedState,
    next: { state: StoredState; changes?: Partial<TRow> },
    options: CompareAndSetOptions,
  ): Promise<WriteResult> {
    const withVersion = this.options.versionField !== undefined && expected.version !== undefined;
    const update = this.updateOf(id, expected, next, withVersion);
    // The compare-and-set is atomic on its own; a transaction is needed only when other writes
    // (the log row, beforeCommit hooks) must commit or roll back with it.
    const alone = !this.options.log && !options.beforeCommit;
    return this.call(alone ? 'plain' : 'transaction', async (q) => {
      const rows = await q.query(update.sql, update.params);
      if (!rows[0]) return { written: false };
      const { versionField } = this.options;
      const version = versionField && Number(rows[0][this.columnOf(versionField)]);
      await this.writeLog(q, writtenRecord(options.record, withVersion, version));
      if (options.beforeCommit) await options.beforeCommit(q.handle, { version });
      const row = options.returning ? { row: this.toRow(rows[0]) } : {};
      return { written: true, version, ...row };
    });
  }

  /**
   * Pessimistic commit: in one transaction, the row locked (`SELECT ... FOR UPDATE` on
   * PostgreSQL; on SQLite a first write takes the database's write lock), then the decision,
   * the write, the log and the hooks.
   */
  commitLocked(
    id: string,
    decide: (current: StoredResource<TContext>) => LockedDecision<Partial<TRow>>,
    options: { readonly returning?: boolean },
  ): Promise<{ readonly row?: unknown } | null> {
    return this.call('transaction', async (q) => {
      if (!this.connection.postgres) {
        // A write that matches nothing: SQLite's write lock, held to the commit.
        await q.execute(
          `UPDATE ${quote(this.options.table)} SET ${this.col(this.idField)} = ${this.col(this.idField)} WHERE 1 = 0`,
          [],
        );
      }
      const rows = await q.query(this.sql.lockAndLoad, [this.idValue(id)]);
      if (!rows[0]) return null;
      const current = this.toResource(this.toRow(rows[0]));
      const decision = decide(current);
      const update = this.updateOf(
        id,
        { state: current.state, version: current.version },
        decision,
        current.version !== undefined,
      );
      const written = await q.query(update.sql, update.params);
      if (!written[0]) throw new Error(`${this.name} ${id}: the locked row changed under its lock`);
      await this.writeLog(q, decision.record);
      if (decision.beforeCommit)
        await decision.beforeCommit(q.handle, { version: nextVersion(current) });
      return options.returning ? { row: this.toRow(written[0]) } : {};
    });
  }

  /** Outbox rows go through this store's transactions: an outbox store on the same client. */
  transactionScope(): unknown {
    return this.connection.scope;
  }

  /** The app's open transaction this store's writes join now (`transactionHost`), if any. */
  joinedTransaction(): JoinedTransaction | undefined {
    return this.connection.joined?.(`${this.constructor.name} '${this.name}'`);
  }

  /** The transition log of one resource (with `log: true`), newest first, keyset-paginated. */
  async history(resource: string, id: string, query: HistoryQuery): Promise<HistoryPage> {
    if (!this.options.log) {
      throw new Error(
        `${this.constructor.name} '${this.name}' keeps no transition log: set log: true (and create the transition_log table) to read history.`,
      );
    }
    const p = (n: number) => this.connection.placeholder(n);
    const params: unknown[] = [resource, id];
    let sql = `SELECT * FROM "transition_log" WHERE "resource" = ${p(1)} AND "resourceId" = ${p(2)}`;
    if (query.before !== undefined) {
      params.push(Number(query.before));
      sql += ` AND "id" < ${p(3)}`;
    }
    params.push(query.limit + 1);
    sql += ` ORDER BY "id" DESC LIMIT ${p(params.length)}`;
    const rows = await this.call('plain', (q) => q.query(sql, params));
    const logRows = rows.map((r) => {
      const row = plainRow(r);
      return {
        ...(row as unknown as TransitionLogRow),
        id: row.id as number,
        from: row.from_state as string,
        to: row.to_state as string,
      };
    });
    return historyPageOf(logRows, query.limit);
  }

  /** The id as the key column holds it (`idType`), or undefined when no row can have it. */
  canonicalId(id: string): string | undefined {
    return canonicalKey(this.keyType(), id);
  }

  /** The compare-and-set statement for these changes (its text cached per set of fields). */
  private updateOf(
    id: string,
    expected: ExpectedState,
    next: { readonly state: StoredState; readonly changes?: Partial<TRow> },
    withVersion: boolean,
  ): { sql: string; params: unknown[] } {
    assertChangesAllowed(next.changes, this.owned);
    const changes = Object.entries(next.changes ?? {}).filter(([, v]) => v !== undefined);
    const fields = changes.map(([field]) => field);
    const key = `${fields.join(',')}|${String(withVersion)}`;
    let sql = this.updates.get(key);
    if (!sql) {
      const p = (n: number) => this.connection.placeholder(n);
      const { stateField, versionField, table } = this.options;
      const set = [`${this.col(stateField)} = ${p(1)}`];
      fields.forEach((f, i) => set.push(`${this.col(f)} = ${p(i + 2)}`));
      if (versionField) set.push(`${this.col(versionField)} = ${this.col(versionField)} + 1`);
      let n = fields.length + 2;
      let where = `${this.col(this.idField)} = ${p(n++)} AND ${this.col(stateField)} = ${p(n++)}`;
      if (withVersion && versionField) where += ` AND ${this.col(versionField)} = ${p(n)}`;
      sql = `UPDATE ${quote(table)} SET ${set.join(', ')} WHERE ${where} RETURNING *`;
      this.updates.set(key, sql);
    }
    const params: unknown[] = [encodeState(next.state), ...changes.map(([, v]) => v)];
    params.push(this.idValue(id), encodeState(expected.state));
    if (withVersion) params.push(expected.version);
    return { sql, params };
  }

  private async writeLog(q: SqlQueries, record: TransitionRecord): Promise<void> {
    if (!this.options.log) return;
    const row = logRowOf(record);
    await q.execute(
      this.sql.insertLog,
      LOG_COLUMNS.map((c) => row[c]),
    );
  }

  /** Runs store work on the connection; the database gone becomes StoreUnavailableError. */
  protected call<R>(mode: 'plain' | 'transaction', work: (q: SqlQueries) => Promise<R>) {
    return callDatabase(this.name, () => this.connection.run(mode, work));
  }

  /** A quoted column, from a field name (`columns` maps those with `@map`). */
  private col(field: string): string {
    return quote(this.columnOf(field));
  }

  private columnOf(field: string): string {
    const columns = this.options.columns as Record<string, string | undefined> | undefined;
    return columns?.[field] ?? field;
  }

  /** A row as the database returned it, with field names. */
  private toRow(raw: SqlRow): TRow {
    const row: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(plainRow(raw))) {
      row[this.fieldOf.get(column) ?? column] = value;
    }
    return row as TRow;
  }

  private toResource(row: TRow): StoredResource<TContext> {
    const { versionField, stateField, context } = this.options;
    return resourceOfRow(row, { state: stateField, version: versionField, context });
  }

  private keyType(): KeyType {
    switch (this.options.idType ?? 'integer') {
      case 'integer':
        return { kind: 'integer', max: this.connection.postgres ? INT32_MAX : INT64_MAX };
      case 'bigint':
        return { kind: 'integer', max: INT64_MAX };
      case 'uuid':
        return { kind: 'uuid' };
      case 'string':
        return { kind: 'string', maxLength: 255 };
    }
  }

  private idValue(id: string): string | number {
    return keyValue(this.keyType(), id);
  }
}
