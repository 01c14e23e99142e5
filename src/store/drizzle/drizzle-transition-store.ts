import { createHash } from 'node:crypto';
import {
  and,
  desc,
  eq,
  getTableColumns,
  getTableName,
  is,
  lt,
  sql,
  type Column,
  type InferInsertModel,
  type InferSelectModel,
  type SQL,
  type Table,
} from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { type StoredState } from '../../core/index.js';
import { encodeState } from '../../core/state-value.js';
import {
  historyPageOf,
  logRowOf,
  nextVersion,
  writtenRecord,
  type TransitionLogRow,
} from '../log-rows.js';
import { callDatabase } from '../database-failures.js';
import { canonicalKey, keyValue, keyTypeOf, type KeyType } from '../key-types.js';
import { resourceOfRow } from '../row-resource.js';
import {
  joinedTransaction,
  type JoinedTransaction,
  type TransactionHostLike,
} from '../ambient-transaction.js';
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
  DrizzleConnection,
  type DrizzleDatabase,
  type PreparedSelect,
  type Queries,
} from './drizzle-connection.js';
import type { TransitionLogTable } from './transition-log.tables.js';

/** A row of a Drizzle table, as a select returns it. */
export type TableRow<T extends Table> = InferSelectModel<T>;
/** The table's properties whose values are strings: where a state can be kept. */
export type StringProperty<T extends Table> = {
  [K in keyof TableRow<T>]-?: TableRow<T>[K] extends string ? K : never;
}[keyof TableRow<T>] &
  string;
/** The table's properties whose values are numbers: where a version can be kept. */
export type NumberProperty<T extends Table> = {
  [K in keyof TableRow<T>]-?: TableRow<T>[K] extends number ? K : never;
}[keyof TableRow<T>] &
  string;

export interface DrizzleTransitionStoreOptions<T extends Table, TContext> {
  /** The Drizzle table whose rows are the resources. */
  readonly table: T;
  /** Property holding the state: a string column (parallel state values are stored as JSON). */
  readonly stateProperty: StringProperty<T>;
  /** Property holding the version, a number column the write increments; omit if there is none. */
  readonly versionProperty?: NumberProperty<T>;
  /** Primary key property. Default `'id'`. */
  readonly idProperty?: keyof TableRow<T> & string;
  /** What the machine's guards read, from a row. Default: the whole row. */
  readonly context?: (row: TableRow<T>) => TContext;
  /**
   * Write a transition log row in the same transaction as each state change: the log table of
   * the database's dialect (`sqliteTransitionLog` or `pgTransitionLog`), exported from your schema.
   */
  readonly log?: TransitionLogTable;
  /** Name for messages ('order'). Default: the table's name. */
  readonly name?: string;
  /**
   * `@nestjs-cls/transactional`'s `TransactionHost` (Drizzle adapter, PostgreSQL): inside
   * `@Transactional()` the store loads and writes in the app's transaction instead of its own. The
   * adapter must be wrapped by `withTransitionHooks`.
   */
  readonly transactionHost?: TransactionHostLike<unknown>;
}

/**
 * A `TransitionStore` on a Drizzle table, for SQLite (better-sqlite3) and PostgreSQL
 * (node-postgres). `compareAndSet` is one `UPDATE ... SET state, version = version + 1, changes
 * WHERE id AND state [AND version] RETURNING ...`, in a transaction with the log row and the
 * `beforeCommit` hooks when there are any. The state and version properties are checked against
 * the table's columns at compile time.
 *
 * @example
 * const store = new DrizzleTransitionStore(db, {
 *   table: orders, stateProperty: 'status', versionProperty: 'version', log: sqliteTransitionLog,
 *   context: (o) => ({ total: o.total, paid: o.paid }),
 * });
 */
export class DrizzleTransitionStore<
  T extends Table,
  TContext = TableRow<T>,
> implements TransitionStore<TContext, Partial<InferInsertModel<T>>> {
  private readonly connection: DrizzleConnection;
  private readonly columns: Record<string, Column>;
  private readonly idProperty: string;
  private readonly name: string;
  private readonly owned: string[];
  /** What an UPDATE returns when the row is not asked for: the key and the version written. */
  private readonly keyColumns: Record<string, Column>;
  private key: KeyType | undefined;
  /** The load, prepared once: Drizzle builds a query's SQL on every call otherwise. */
  private loadStatement: PreparedSelect | undefined;
  /** The compare-and-sets, prepared once per set of changed columns (a bounded number). */
  private readonly updateStatements = new Map<string, PreparedSelect>();

  constructor(
    db: DrizzleDatabase,
    protected readonly options: DrizzleTransitionStoreOptions<T, TContext>,
  ) {
    this.connection = new DrizzleConnection(db, options.transactionHost);
    this.columns = getTableColumns(options.table) as Record<string, Column>;
    this.idProperty = options.idProperty ?? 'id';
    this.name = options.name ?? getTableName(options.table);
    this.owned = [
      options.stateProperty,
      this.idProperty,
      ...(options.versionProperty ? [options.versionProperty] : []),
    ];
    const { versionProperty } = options;
    this.keyColumns = {
      [this.idProperty]: this.columns[this.idProperty],
      ...(versionProperty ? { [versionProperty]: this.columns[versionProperty as string] } : {}),
    };
  }

  /**
   * Checks at bootstrap that the named properties are columns of the table, and that the table
   * and the log table are of the database's dialect.
   */
  verify(): void {
    const where = `DrizzleTransitionStore '${this.name}'`;
    for (const property of this.owned) {
      if (!(property in this.columns)) {
        throw new Error(
          `${where}: table ${getTableName(this.options.table)} has no column property '${property}' (columns: ${Object.keys(this.columns).join(', ')}). Fix the store's options.`,
        );
      }
    }
    const dialect = this.connection.postgres ? 'PostgreSQL' : 'SQLite';
    const tables: [string, Table][] = [['table', this.options.table]];
    if (this.options.log) tables.push(['log', this.options.log]);
    for (const [option, table] of tables) {
      if (is(table, PgTable) !== this.connection.postgres) {
        throw new Error(
          `${where}: the ${option} option is a ${is(table, PgTable) ? 'PostgreSQL' : 'SQLite'} table but the database is ${dialect}. ` +
            (option === 'log'
              ? `Use log: ${this.connection.postgres ? 'pgTransitionLog' : 'sqliteTransitionLog'} from 'nestjs-transition-guard/drizzle'.`
              : `Pass the table defined for ${dialect}.`),
        );
      }
    }
    this.keyType();
  }

  async load(id: string): Promise<StoredResource<TContext> | null> {
    const rows = await this.call('plain', async (q) =>
      q !== this.connection.queries
        ? // In the app's transaction: a statement prepared on the database would run outside it.
          q.select().from(this.options.table).where(this.idIs(id)).limit(1)
        : (this.loadStatement ??= this.prepareLoad(q)).execute({ id: this.idValue(id) }),
    );
    return rows[0] ? this.toResource(rows[0] as TableRow<T>) : null;
  }

  /**
   * The load, prepared once. PostgreSQL names prepared statements per connection: the name is
   * the statement's own hash, so that two stores on one table (other columns, another key) never
   * claim one name for two texts.
   */
  private prepareLoad(q: Queries): PreparedSelect {
    const select = q
      .select()
      .from(this.options.table)
      .where(eq(this.columns[this.idProperty], sql.placeholder('id')))
      .limit(1);
    const text = select.toSQL().sql;
    return select.prepare(
      `tg_load_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`,
    );
  }

  async compareAndSet(
    id: string,
    expected: ExpectedState,
    next: { state: StoredState; changes?: Partial<InferInsertModel<T>> },
    options: CompareAndSetOptions,
  ): Promise<WriteResult> {
    const withVersion =
      this.options.versionProperty !== undefined && expected.version !== undefined;
    const update = this.updateOf(id, expected, next, withVersion);
    // The compare-and-set UPDATE is atomic on its own; a transaction is needed only when other
    // writes (the log row, beforeCommit hooks) must commit or roll back with it.
    const alone = !this.options.log && !options.beforeCommit;
    return this.call(alone ? 'plain' : 'transaction', async (q) => {
      const wholeRow = options.returning ?? false;
      // On the database itself (no PostgreSQL transaction, no app's transaction): prepared.
      const row =
        q === this.connection.queries
          ? await this.runPreparedUpdate(q, update, wholeRow)
          : await this.runUpdate(q, update, wholeRow);
      if (!row) return { written: false };
      const { versionProperty } = this.options;
      const version = versionProperty && (row[versionProperty as string] as number);
      await this.writeLog(q, writtenRecord(options.record, withVersion, version));
      if (options.beforeCommit) await options.beforeCommit(q, { version });
      return options.returning ? { written: true, version, row } : { written: true, version };
    });
  }

  /**
   * Pessimistic commit: in one transaction, the row locked (`SELECT ... FOR UPDATE` on
   * PostgreSQL; on SQLite the transaction takes the write lock first), then the decision, the
   * write, the log and the hooks.
   */
  commitLocked(
    id: string,
    decide: (current: StoredResource<TContext>) => LockedDecision<Partial<InferInsertModel<T>>>,
    options: { readonly returning?: boolean },
  ): Promise<{ readonly row?: unknown } | null> {
    return this.call('transaction', async (q) => {
      let select = q.select().from(this.options.table).where(this.idIs(id)).limit(1);
      if (this.connection.postgres) select = select.for('update');
      const rows = await select;
      if (!rows[0]) return null;
      const current = this.toResource(rows[0] as TableRow<T>);
      const decision = decide(current);
      const update = this.updateOf(
        id,
        { state: current.state, version: current.version },
        decision,
        current.version !== undefined,
      );
      const row = await this.runUpdate(q, update, options.returning ?? false);
      if (!row) throw new Error(`${this.name} ${id}: the locked row changed under its lock`);
      await this.writeLog(q, decision.record);
      if (decision.beforeCommit) await decision.beforeCommit(q, { version: nextVersion(current) });
      return options.returning ? { row } : {};
    });
  }

  /** The transition log of one resource (with `log`), newest first, keyset-paginated by log id. */
  async history(resource: string, id: string, query: HistoryQuery): Promise<HistoryPage> {
    const log = this.options.log;
    if (!log) {
      throw new Error(
        `DrizzleTransitionStore '${this.name}' keeps no transition log: set log (sqliteTransitionLog or pgTransitionLog) to read history.`,
      );
    }
    const rows = (await this.call('plain', (q) =>
      q
        .select()
        .from(log)
        .where(
          and(
            eq(log.resource, resource),
            eq(log.resourceId, id),
            query.before === undefined ? undefined : lt(log.id, Number(query.before)),
          ),
        )
        .orderBy(desc(log.id))
        .limit(query.limit + 1),
    )) as unknown as (TransitionLogRow & { id: number })[];
    return historyPageOf(rows, query.limit);
  }

  /** The id as the key column holds it (its type read from the table), or undefined. */
  canonicalId(id: string): string | undefined {
    return canonicalKey(this.keyType(), id);
  }

  /** The compare-and-set's SET values and WHERE condition. */
  private updateOf(
    id: string,
    expected: ExpectedState,
    next: { readonly state: StoredState; readonly changes?: Partial<InferInsertModel<T>> },
    withVersion: boolean,
  ): UpdateOf {
    assertChangesAllowed(next.changes, this.owned);
    const { stateProperty, versionProperty } = this.options;
    const set: Record<string, unknown> = {};
    for (const [property, value] of Object.entries(next.changes ?? {})) {
      if (!(property in this.columns)) {
        throw new Error(
          `commit() changes name '${property}', which is not a column property of ${getTableName(this.options.table)} (columns: ${Object.keys(this.columns).join(', ')}).`,
        );
      }
      set[property] = value;
    }
    set[stateProperty] = encodeState(next.state);
    if (versionProperty) set[versionProperty] = sql`${this.columns[versionProperty]} + 1`;
    return { set, id, expected, withVersion, changed: Object.keys(next.changes ?? {}) };
  }

  /**
   * The compare-and-set as a statement prepared once per set of changed columns (and version
   * check, and returned columns), its values as placeholders: Drizzle builds the SQL once, and
   * better-sqlite3 or PostgreSQL prepares it once. Past 32 sets, built per call.
   */
  private async runPreparedUpdate(
    q: Queries,
    update: UpdateOf,
    wholeRow: boolean,
  ): Promise<Record<string, unknown> | undefined> {
    const { withVersion } = update;
    const changed = [...update.changed].sort();
    const key = `${changed.join(',')}|${String(withVersion)}|${String(wholeRow)}`;
    let statement = this.updateStatements.get(key);
    if (!statement) {
      if (this.updateStatements.size >= 32) return this.runUpdate(q, update, wholeRow);
      statement = this.prepareUpdate(q, changed, withVersion, wholeRow);
      this.updateStatements.set(key, statement);
    }
    const { stateProperty } = this.options;
    const values: Record<string, unknown> = {
      tg_id: this.idValue(update.id),
      tg_state: update.set[stateProperty],
      tg_expected: encodeState(update.expected.state),
      tg_version: update.expected.version,
    };
    for (const property of changed) values[`tg_set_${property}`] = update.set[property];
    const rows = await statement.execute(values);
    return rows[0];
  }

  private prepareUpdate(
    q: Queries,
    changed: readonly string[],
    withVersion: boolean,
    wholeRow: boolean,
  ): PreparedSelect {
    const { stateProperty, versionProperty } = this.options;
    const set: Record<string, unknown> = {};
    for (const property of changed) set[property] = sql.placeholder(`tg_set_${property}`);
    set[stateProperty] = sql.placeholder('tg_state');
    if (versionProperty) set[versionProperty] = sql`${this.columns[versionProperty]} + 1`;
    const where = this.casWhere(
      sql.placeholder('tg_id'),
      sql.placeholder('tg_expected'),
      withVersion ? sql.placeholder('tg_version') : undefined,
    );
    const written = q.update(this.options.table).set(set).where(where);
    const returning = wholeRow ? written.returning() : written.returning(this.keyColumns);
    const text = returning.toSQL().sql;
    // PostgreSQL keeps prepared statements per connection by name: the name is the text's hash.
    return returning.prepare(
      `tg_cas_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`,
    );
  }

  /**
   * The compare-and-set's WHERE: the id, the expected state and (when compared) the version, as
   * values or as placeholders of a prepared statement.
   */
  private casWhere(id: unknown, state: unknown, version: unknown): SQL | undefined {
    const { stateProperty, versionProperty } = this.options;
    return and(
      eq(this.columns[this.idProperty], id),
      eq(this.columns[stateProperty], state),
      version !== undefined && versionProperty
        ? eq(this.columns[versionProperty], version)
        : undefined,
    );
  }

  /** Runs the UPDATE ... RETURNING: the written row, or undefined when no row matched. */
  private async runUpdate(
    q: Queries,
    update: UpdateOf,
    wholeRow: boolean,
  ): Promise<Record<string, unknown> | undefined> {
    const where = this.casWhere(
      this.idValue(update.id),
      encodeState(update.expected.state),
      update.withVersion ? update.expected.version : undefined,
    );
    const written = q.update(this.options.table).set(update.set).where(where);
    const rows = await (wholeRow ? written.returning() : written.returning(this.keyColumns));
    return rows[0];
  }

  /** Outbox rows go through this store's transactions: a `DrizzleOutboxStore` on the same database. */
  transactionScope(): unknown {
    return this.connection.db;
  }

  /** The app's open transaction this store's writes join now (`transactionHost`), if any. */
  joinedTransaction(): JoinedTransaction | undefined {
    const tx = this.connection.ambient();
    return tx && joinedTransaction(tx, `DrizzleTransitionStore '${this.name}'`);
  }

  private async writeLog(q: Queries, record: TransitionRecord): Promise<void> {
    if (this.options.log) await q.insert(this.options.log).values({ ...logRowOf(record) });
  }

  private call<R>(mode: 'plain' | 'transaction', work: (q: Queries) => PromiseLike<R>): Promise<R> {
    return callDatabase(this.name, () => this.connection.run(mode, async (q) => work(q)));
  }

  private idIs(id: string): SQL {
    return eq(this.columns[this.idProperty], this.idValue(id));
  }

  private idValue(id: string): string | number {
    return keyValue(this.keyType(), id);
  }

  private toResource(row: TableRow<T>): StoredResource<TContext> {
    const { versionProperty, stateProperty, context } = this.options;
    return resourceOfRow(row, { state: stateProperty, version: versionProperty, context });
  }

  private keyType(): KeyType {
    if (this.key) return this.key;
    const column = this.columns[this.idProperty] as Column | undefined;
    if (!column) {
      throw new Error(
        `DrizzleTransitionStore '${this.name}': table ${getTableName(this.options.table)} has no column property '${this.idProperty}'. Set idProperty.`,
      );
    }
    const [, type = 'text', length] = /^(\w+)(?:\((\d+)\))?/.exec(column.getSQLType()) ?? [];
    return (this.key = keyTypeOf(type, {
      sqlite: !this.connection.postgres,
      length: length ? Number(length) : undefined,
    }));
  }
}

/**
 * A compare-and-set: its SET values and what its WHERE compares (built only by the statement
 * that runs it: the prepared one has it already).
 */
interface UpdateOf {
  readonly set: Record<string, unknown>;
  readonly id: string;
  readonly expected: ExpectedState;
  /** Whether the version is compared too. */
  readonly withVersion: boolean;
  /** The changed properties besides the state and version. */
  readonly changed: readonly string[];
}
