import { decodeState, encodeState } from '../../core/state-value.js';
import { disarmedOnly, type TimerChange } from '../../core/timers.js';
import type { StoredState } from '../../core/index.js';
import type { JoinedTransaction } from '../ambient-transaction.js';
import { canonicalKey, INT32_MAX, INT64_MAX, keyValue, type KeyType } from '../key-types.js';
import { historyPageOf, LOG_COLUMNS, logRowOf, writtenRecord } from '../log-rows.js';
import type { OutboxStore } from '../outbox-store.interface.js';
import { outboxInsertValues } from '../outbox-rows.js';
import { resourceOfRow } from '../row-resource.js';
import { assertChangesAllowed } from '../store-errors.js';
import type {
  CompareAndSetOptions,
  ExpectedState,
  HistoryPage,
  HistoryQuery,
  LockedDecision,
  StateCount,
  StoredResource,
  TransitionRecord,
  TransitionStore,
  WriteResult,
} from '../transition-store.interface.js';
import { libraryNames } from './library-tables.js';
import {
  plainRow,
  type RunMode,
  type SqlConnection,
  type SqlQueries,
  type SqlRow,
  type TableNames,
} from './sql-connection.js';
import { SqlOutboxStore } from './sql-outbox-store.js';
import { SqlTimerStore } from './sql-timer-store.js';
import type { TimerStore } from '../timer-store.interface.js';
import { TransitionStatements, type ResourceColumns } from './transition-statements.js';
import { writeResolvingDoubt, type InDoubtFinding } from './in-doubt.js';
import { callSql } from './sqlite-file.js';
import { installedHash, installedTriggerQuery } from './machine-trigger.js';

/** The row's properties whose values are strings: where a state can be kept. */
export type StringProperty<TRow> = {
  [K in keyof TRow]-?: TRow[K] extends string ? K : never;
}[keyof TRow] &
  string;
/** The row's properties whose values are numbers: where a version can be kept. */
export type NumberProperty<TRow> = {
  [K in keyof TRow]-?: TRow[K] extends number ? K : never;
}[keyof TRow] &
  string;
/** @deprecated Use `StringProperty`; this name goes in 0.3.0. */
export type StringField<TRow> = StringProperty<TRow>;
/** @deprecated Use `NumberProperty`; this name goes in 0.3.0. */
export type NumberField<TRow> = NumberProperty<TRow>;

/**
 * A resource table as the SQL core reads and writes it: its columns, how a row's values go in
 * and come out (an ORM's conversions), and what its key can hold. ORM adapters describe their
 * model this way (TypeORM from the entity's metadata, Drizzle from the table's columns).
 */
export interface ResourceTable<TRow> {
  readonly columns: ResourceColumns;
  /** The column of a property a commit's changes name; throws, listing them, for an unknown one. */
  columnOf(property: string): string;
  /** A change's value as its column takes it. */
  toColumn(property: string, value: unknown): unknown;
  /** A row as the database returned it, with the model's property names and values. */
  hydrate(raw: SqlRow): TRow;
  /** What the key column can hold: ids no row can have are a 400 before any query. */
  readonly key: KeyType;
}

/** The options every SQL transition store takes, whatever the ORM (the names are properties). */
export interface TransitionStoreOptions<TRow, TContext> {
  /** Property holding the state: a string (parallel state values are stored as JSON). */
  readonly stateProperty: StringProperty<TRow>;
  /** Property holding the version, a number the write increments; omit if there is none. */
  readonly versionProperty?: NumberProperty<TRow>;
  /** Primary key property. Default `'id'`. */
  readonly idProperty?: keyof TRow & string;
  /** What the machine's guards read, from a row. Default: the whole row. */
  readonly context?: (row: TRow) => TContext;
  /**
   * The properties `context` reads (with none, the context is the row with these alone): a load
   * then selects them with the id, state and version instead of every column. Every column a
   * load skips is a value the driver need not build; on the benchmark's orders table (9
   * columns, 2 of them dates), 10 to 20 µs per request on SQLite. Default: every column.
   */
  readonly contextProperties?: readonly (keyof TRow & string)[];
  /** Write a row in `transition_log` in the same transaction as each state change. */
  readonly log?: boolean;
  /** Name for messages ('order'). Default: the table's name. */
  readonly name?: string;
}

/** Options of a store on a table named by hand (Prisma, MikroORM, or raw SQL). */
export interface SqlTransitionStoreOptions<TRow extends object, TContext> extends Omit<
  TransitionStoreOptions<TRow, TContext>,
  'stateProperty'
> {
  /** The table, as the database names it. */
  readonly table: string;
  /** Property holding the state: a string (parallel state values are stored as JSON). */
  readonly stateProperty?: StringProperty<TRow>;
  /** @deprecated Use `stateProperty`; this name goes in 0.3.0. */
  readonly stateField?: StringProperty<TRow>;
  /** @deprecated Use `versionProperty`; this name goes in 0.3.0. */
  readonly versionField?: NumberProperty<TRow>;
  /** @deprecated Use `idProperty`; this name goes in 0.3.0. */
  readonly idField?: keyof TRow & string;
  /** The key's type, for 400 on ids no row can have. Default `'integer'`. */
  readonly idType?: 'integer' | 'bigint' | 'uuid' | 'string';
  /** Column names of properties named otherwise in the database; the others are named as the property. */
  readonly columns?: { readonly [K in keyof TRow]?: string };
}

/**
 * The transition store of every ORM and every dialect (SQLite, PostgreSQL, MySQL), on an ORM's
 * connection (`SqlConnection`): `TypeOrmTransitionStore`, `PrismaTransitionStore`,
 * `DrizzleTransitionStore` and `MikroOrmTransitionStore` are this store on their ORM's
 * connection and model. `compareAndSet` is one `UPDATE ... SET state, version = version + 1,
 * changes WHERE id AND state [AND version]` (see `TransitionStatements`), with the row back by
 * `RETURNING` where the database has it, else read in the write's transaction (MySQL); the log
 * row, the outbox messages and the `beforeCommit` hooks commit with it, in the UPDATE's own
 * statement on PostgreSQL when no hook needs the transaction.
 *
 * @example
 * // An ORM adapter is a `SqlConnection`; the store is the same on every ORM.
 * class OrderStore extends SqlTransitionStore<Order, OrderContext> {
 *   constructor(connection: SqlConnection) {
 *     super(connection, { table: 'orders', stateProperty: 'status', versionProperty: 'version', log: true });
 *   }
 * }
 */
export class SqlTransitionStore<TRow extends object, TContext = TRow> implements TransitionStore<
  TContext,
  Partial<TRow>
> {
  protected readonly properties: { id: string; state: string; version: string | undefined };
  private described: ResourceTable<TRow> | undefined;
  private statementsOf: TransitionStatements | undefined;
  private logNames: TableNames | undefined;

  constructor(
    protected readonly connection: SqlConnection,
    protected readonly options: SqlTransitionStoreOptions<TRow, TContext>,
  ) {
    // The names before 0.2.0 are still read (deprecated, not broken).
    /* eslint-disable @typescript-eslint/no-deprecated */
    const state = options.stateProperty ?? options.stateField;
    if (!state) {
      throw new Error(
        `${this.constructor.name} '${this.name}': stateProperty is required: the property that holds the state.`,
      );
    }
    this.properties = {
      id: options.idProperty ?? options.idField ?? 'id',
      state,
      version: options.versionProperty ?? options.versionField,
    };
    /* eslint-enable @typescript-eslint/no-deprecated */
  }

  /** Name for messages ('order'). */
  protected get name(): string {
    return this.options.name ?? this.options.table;
  }

  /**
   * The resource table: from the options (a table named by hand, columns named as properties
   * unless `columns` says otherwise). ORM adapters override it to read their model.
   */
  protected describeTable(): ResourceTable<TRow> {
    const { columns = {}, table, idType = 'integer' } = this.options;
    const renamed = columns as Record<string, string | undefined>;
    const columnOf = (property: string) => renamed[property] ?? property;
    const propertyOf = new Map(
      Object.entries(renamed).map(([property, column]) => [column as string, property]),
    );
    const { dialect } = this.connection;
    return {
      columns: {
        table,
        id: columnOf(this.properties.id),
        state: columnOf(this.properties.state),
        version: this.properties.version && columnOf(this.properties.version),
      },
      columnOf,
      toColumn: (_property, value) => value,
      hydrate: (raw) => {
        const row: Record<string, unknown> = {};
        for (const [column, value] of Object.entries(plainRow(raw))) {
          row[propertyOf.get(column) ?? column] = value;
        }
        return row as TRow;
      },
      key: keyOfType(idType, dialect.integersAre64Bit),
    };
  }

  /** The resource table, described once (an ORM's metadata is complete once it has started). */
  protected get table(): ResourceTable<TRow> {
    return (this.described ??= this.describeTable());
  }

  private get sql(): TransitionStatements {
    return (this.statementsOf ??= new TransitionStatements(
      this.connection.dialect,
      { ...this.table.columns, loaded: this.loadedColumns() },
      this.log,
      {
        outbox: libraryNames(this.connection, 'transition_outbox'),
        handled: libraryNames(this.connection, 'transition_handled'),
        timers: libraryNames(this.connection, 'transition_timers'),
      },
    ));
  }

  /** The columns a load selects: those of `contextProperties` and the row's own, if given. */
  private loadedColumns(): readonly string[] | undefined {
    const read = this.options.contextProperties;
    if (!read) return undefined;
    const { id, state, version } = this.properties;
    const properties = new Set([id, state, ...(version ? [version] : []), ...read]);
    return [...properties].map((p) => this.table.columnOf(p));
  }

  private get log(): TableNames {
    return (this.logNames ??= libraryNames(this.connection, 'transition_log'));
  }

  /**
   * Checks at bootstrap that the table can be described and its statements built (subclasses
   * check their model first), so that a misnamed property fails the start, not a request.
   */
  verify(): void {
    if (!this.sql.load) throw new Error(`${this.name}: no load statement`);
  }

  async load(id: string): Promise<StoredResource<TContext> | null> {
    const rows = await this.read((q) => q.query(this.sql.load, [this.idValue(id)]));
    const raw = rows.at(0);
    return raw ? this.toResource(this.table.hydrate(raw)) : null;
  }

  /** The machine hash of the trigger installed on the table, if any. */
  async installedTriggerHash(): Promise<string | undefined> {
    const sql = installedTriggerQuery(this.connection.dialect, this.table.columns.table);
    const rows = await this.read((q) => q.query(sql, []));
    const body = rows.at(0) && plainRow(rows[0]).body;
    return installedHash(Buffer.isBuffer(body) ? body.toString('utf8') : body);
  }

  /** Rows per stored state, for the bootstrap's stored-state check. */
  async countStates(): Promise<StateCount[]> {
    const rows = await this.read((q) => q.query(this.sql.countStates(), []));
    return rows.map((raw) => {
      const row = plainRow(raw);
      return { state: decodeState(row.state), count: Number(row.n) };
    });
  }

  compareAndSet(
    id: string,
    expected: ExpectedState,
    next: { state: StoredState; changes?: Partial<TRow> },
    options: CompareAndSetOptions,
  ): Promise<WriteResult> {
    const plan = this.planOf(expected, options);
    // The compare-and-set is atomic on its own; a transaction is needed only when other writes
    // (the log row, outbox messages, hooks) or a read of the written row must go with it.
    const alone =
      !options.beforeCommit && !plan.readBack && (plan.oneStatement || !plan.otherWrites);
    return writeResolvingDoubt<WriteResult>(
      this.connection,
      (mode, work) => this.call(mode, work),
      alone ? 'plain' : 'transaction',
      (q) => this.writeIn(q, id, expected, next, options, plan),
      async (q) => {
        const found = await this.checkCommitted(q, id, expected, options.record);
        if ('outcome' in found) return found;
        const { version, row } = found.committed;
        return {
          committed: options.returning
            ? { written: true, version, row }
            : { written: true, version },
        };
      },
    );
  }

  /**
   * Pessimistic commit: in one transaction, the row locked (`SELECT ... FOR UPDATE`; on SQLite
   * the database's write lock, taken first), handed to `decide`, and what it returns written with
   * the log row and the hooks.
   */
  commitLocked(
    id: string,
    decide: (current: StoredResource<TContext>) => LockedDecision<Partial<TRow>>,
    options: { readonly returning?: boolean },
  ): Promise<{ readonly row?: unknown } | null> {
    let decided: { expected: ExpectedState; record: TransitionRecord } | undefined;
    const work = async (q: SqlQueries) => {
      const raw = (await this.lockRow(q, id)).raw;
      if (!raw) return null;
      const current = this.toResource(this.table.hydrate(raw));
      const decision = decide(current);
      const expected = { state: current.state, version: current.version };
      decided = { expected, record: decision.record };
      const writeOptions = {
        record: decision.record,
        returning: options.returning,
        beforeCommit: decision.beforeCommit,
      };
      const result = await this.writeIn(
        q,
        id,
        expected,
        decision,
        writeOptions,
        this.planOf(expected, writeOptions),
      );
      if (!result.written)
        throw new Error(`${this.name} ${id}: the locked row changed under its lock`);
      return options.returning ? { row: result.row } : {};
    };
    return writeResolvingDoubt(
      this.connection,
      (mode, run) => this.call(mode, run),
      'locked',
      work,
      async (q) => {
        if (!decided) return { outcome: 'not-applied' };
        const found = await this.checkCommitted(q, id, decided.expected, decided.record);
        if ('outcome' in found) return found;
        return { committed: options.returning ? { row: found.committed.row } : {} };
      },
    );
  }

  /** The row locked for a write (on SQLite, the database's write lock taken first), as read. */
  private async lockRow(
    q: SqlQueries,
    id: string,
    whole = false,
  ): Promise<{ raw: SqlRow | undefined }> {
    const { dialect, beginsImmediate } = this.connection;
    if (!dialect.rowLocks && !beginsImmediate) await q.execute(this.sql.takeWriteLock, []);
    const sql = whole ? this.sql.lockAndLoadRow : this.sql.lockAndLoad;
    return { raw: (await q.query(sql, [this.idValue(id)])).at(0) };
  }

  /**
   * Whether a write whose commit is in doubt was committed, asked in a locked transaction (the
   * lock waits for the failed transaction, if it still runs): its log row found by its
   * transition id (with `log: true`), else the row's version unchanged (not applied). Without a
   * log, a changed version cannot tell this write from another: `unknown`.
   */
  private async checkCommitted(
    q: SqlQueries,
    id: string,
    expected: ExpectedState,
    record: TransitionRecord,
  ): Promise<InDoubtFinding<{ version: number | undefined; row: TRow | undefined }>> {
    // The whole row: a caller that asked for `returning` gets it.
    const { raw } = await this.lockRow(q, id, true);
    const row = raw && this.table.hydrate(raw);
    if (this.options.log) {
      const params = [record.resource, record.resourceId, record.transitionId];
      const logged = (await q.query(this.sql.logged(), params)).at(0);
      if (!logged) return { outcome: 'not-applied' };
      const version = plainRow(logged)[this.log.column('version')];
      return {
        committed: {
          version: version === null || version === undefined ? undefined : Number(version),
          row,
        },
      };
    }
    const current = row && this.toResource(row);
    if (current && expected.version !== undefined && current.version === expected.version) {
      return { outcome: 'not-applied' };
    }
    return { outcome: 'unknown' };
  }

  /**
   * With an `SqlOutboxStore` on the same connection, the compare-and-set writes the outbox
   * messages itself (`options.messages`): in its own statement on PostgreSQL, else in its
   * transaction.
   */
  /**
   * Timers in the compare-and-set's own statement: PostgreSQL, with a timer store on the same
   * connection that arms them the SQL core's way.
   */
  writesTimers(timers: TimerStore): boolean {
    return (
      this.connection.dialect.writesInOneStatement &&
      timers instanceof SqlTimerStore &&
      timers.transactionScope() === this.connection.scope &&
      timers.change === SqlTimerStore.prototype.change
    );
  }

  writesMessages(outbox: OutboxStore): boolean {
    return (
      outbox instanceof SqlOutboxStore &&
      outbox.transactionScope() === this.connection.scope &&
      // A subclass writing its messages its own way keeps its way.
      outbox.enqueue === SqlOutboxStore.prototype.enqueue
    );
  }

  /** Outbox rows go through this store's transactions: an outbox store on the same connection. */
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
    const params: unknown[] = [resource, id];
    if (query.before !== undefined) params.push(Number(query.before));
    params.push(query.limit + 1);
    const sql = this.sql.history(query.before !== undefined);
    const rows = await this.call('plain', (q) => q.query(sql, params));
    const logRows = rows.map((raw) => {
      const row = plainRow(raw);
      const value = (property: string) => row[this.log.column(property)];
      const entry = Object.fromEntries(LOG_COLUMNS.map((c) => [c, value(c)]));
      return { ...(entry as unknown as ReturnType<typeof logRowOf>), id: Number(value('id')) };
    });
    return historyPageOf(logRows, query.limit);
  }

  /** The id as the key column holds it, or undefined when no row can have it. */
  canonicalId(id: string): string | undefined {
    return canonicalKey(this.table.key, id);
  }

  /** What a write takes besides the UPDATE, decided before it runs. */
  private planOf(
    expected: ExpectedState,
    options: Pick<CompareAndSetOptions, 'returning' | 'messages' | 'timers' | 'fired'>,
  ): WritePlan {
    const { dialect } = this.connection;
    const versioned = this.table.columns.version !== undefined;
    const withVersion = versioned && expected.version !== undefined;
    const messages = options.messages?.length ?? 0;
    const log = this.options.log ?? false;
    const timers = timerCounts(options.timers);
    const fired = options.fired !== undefined;
    const otherWrites = log || messages > 0 || timers.disarm + timers.arm > 0 || fired;
    return {
      withVersion,
      messages,
      log,
      timers,
      fired,
      otherWrites,
      oneStatement: dialect.writesInOneStatement && otherWrites,
      // Without RETURNING (MySQL), the row is read in the write's transaction when asked for,
      // and for its version when the UPDATE did not compare it.
      readBack: !dialect.returning && (options.returning === true || (versioned && !withVersion)),
    };
  }

  /** The compare-and-set on `q`, with what goes with it (see `planOf`). */
  private async writeIn(
    q: SqlQueries,
    id: string,
    expected: ExpectedState,
    next: { readonly state: StoredState; readonly changes?: Partial<TRow> },
    options: CompareAndSetOptions,
    plan: WritePlan,
  ): Promise<WriteResult> {
    const { dialect } = this.connection;
    const { columns } = this.table;
    const back = options.returning ? 'row' : 'key';
    let { sql, params } = this.updateOf(id, expected, next, plan.withVersion, back);
    if (plan.oneStatement) {
      sql = this.sql.updateWithInserts(
        sql,
        params.length,
        plan.log,
        plan.messages,
        plan.timers,
        plan.fired,
      );
      params = [...params, ...this.insertParams(id, options, plan)];
    } else if (options.timers || options.fired) {
      throw new Error(`${this.name}: timers are written in one statement on PostgreSQL only`);
    }
    let raw: SqlRow | undefined;
    if (dialect.returning) {
      raw = (await q.query(sql, params)).at(0);
      if (!raw) return { written: false };
    } else {
      const matched = await q.execute(sql, params);
      if (matched === 0 && !(await this.unchangedMatch(q, id, expected, next))) {
        return { written: false };
      }
      if (plan.readBack) raw = (await q.query(this.sql.loadRow, [this.idValue(id)])).at(0);
    }
    // With RETURNING of the key, the row holds the id and the version only.
    const row = raw && this.table.hydrate(raw);
    const versionProperty = this.properties.version;
    const version =
      columns.version === undefined || versionProperty === undefined
        ? undefined
        : row
          ? Number((row as Record<string, unknown>)[versionProperty])
          : Number(expected.version) + 1;
    if (!plan.oneStatement) {
      if (plan.log)
        await this.writeLog(q, writtenRecord(options.record, plan.withVersion, version));
      if (plan.messages) {
        await q.execute(
          this.sql.insertMessages(plan.messages),
          outboxInsertValues(options.messages ?? [], Date.now()),
        );
      }
    }
    if (options.beforeCommit) await options.beforeCommit(q.handle, { version });
    return options.returning ? { written: true, version, row } : { written: true, version };
  }

  /**
   * MySQL without the found-rows flag reports rows changed, not matched: an UPDATE that matched
   * a row and left it as it was (no version, no change) says 0. It matched when the row is in
   * the expected state.
   */
  private async unchangedMatch(
    q: SqlQueries,
    id: string,
    expected: ExpectedState,
    next: { readonly state: StoredState; readonly changes?: Partial<TRow> },
  ): Promise<boolean> {
    if (this.table.columns.version !== undefined) return false;
    if (encodeState(next.state) !== encodeState(expected.state)) return false;
    const raw = (await q.query(this.sql.load, [this.idValue(id)])).at(0);
    if (!raw) return false;
    return (
      encodeState(this.toResource(this.table.hydrate(raw)).state) === encodeState(expected.state)
    );
  }

  /** The compare-and-set statement for these changes, and its parameters. */
  private updateOf(
    id: string,
    expected: ExpectedState,
    next: { readonly state: StoredState; readonly changes?: Partial<TRow> },
    withVersion: boolean,
    back: 'row' | 'key',
  ): { sql: string; params: unknown[] } {
    const owned = (this.owned ??= [
      this.properties.state,
      this.properties.id,
      ...(this.properties.version ? [this.properties.version] : []),
    ]);
    const given = next.changes as Record<string, unknown> | undefined;
    assertChangesAllowed(given, owned);
    const table = this.table;
    const columns: string[] = [];
    const params: unknown[] = [encodeState(next.state)];
    for (const property in given) {
      const value = given[property];
      if (value === undefined || !Object.hasOwn(given, property)) continue;
      columns.push(table.columnOf(property));
      params.push(table.toColumn(property, value));
    }
    const sql = this.sql.update(
      columns,
      withVersion,
      this.connection.dialect.returning ? back : 'none',
    );
    params.push(this.idValue(id), encodeState(expected.state));
    if (withVersion) params.push(expected.version);
    return { sql, params };
  }

  /**
   * PostgreSQL's one statement: a fired timer's id and claim, the log row's values (its version is
   * the row's), the messages', the timers disarmed and armed, the fired timer's id and claim
   * again (see `TransitionStatements.updateWithInserts`).
   */
  private insertParams(id: string, options: CompareAndSetOptions, plan: WritePlan): unknown[] {
    const params: unknown[] = [];
    const fired = options.fired ? [Number(options.fired.id), options.fired.claim] : [];
    params.push(...fired);
    if (plan.log) {
      const row = logRowOf(options.record);
      const versioned = this.table.columns.version !== undefined;
      for (const c of LOG_COLUMNS) if (!(versioned && c === 'version')) params.push(row[c]);
    }
    params.push(...outboxInsertValues(options.messages ?? [], Date.now()));
    const timers = options.timers;
    if (timers) {
      const { resource } = options.record;
      if (plan.timers.disarm) params.push(resource, id, ...disarmedOnly(timers));
      for (const a of timers.arm) params.push(resource, id, a.timer, Math.round(a.delayMs));
    }
    params.push(...fired);
    return params;
  }

  private async writeLog(q: SqlQueries, record: TransitionRecord): Promise<void> {
    const row = logRowOf(record);
    await q.execute(
      this.sql.insertLog,
      LOG_COLUMNS.map((c) => row[c]),
    );
  }

  /**
   * Runs store work on the connection; the database gone becomes StoreUnavailableError, a lost
   * deadlock runs again (not inside the app's transaction, which it rolled back too).
   */
  protected call<R>(
    mode: RunMode,
    work: (q: SqlQueries) => Promise<R>,
    readOnly = false,
  ): Promise<R> {
    return callSql(this.connection, this.name, mode, work, {
      retryConflicts: !this.connection.inAppTransaction?.(),
      readOnly,
    });
  }

  /** A read alone: a SQLite file replaced under it loses nothing, so its file is not checked. */
  private read<R>(work: (q: SqlQueries) => Promise<R>): Promise<R> {
    return this.call('plain', work, true);
  }

  private toResource(row: TRow): StoredResource<TContext> {
    const { version, state } = this.properties;
    return resourceOfRow(row, {
      state: state as keyof TRow,
      version: version as keyof TRow | undefined,
      context: (this.contextOf ??= this.contextOfOptions()),
    });
  }

  private contextOf: ((row: TRow) => TContext) | undefined;
  /** The properties a commit's changes may not name: the store writes them itself. */
  private owned: readonly string[] | undefined;

  /** `context`, or the row's `contextProperties` alone, or the row (undefined) by default. */
  private contextOfOptions(): ((row: TRow) => TContext) | undefined {
    const { context, contextProperties } = this.options;
    if (context || !contextProperties) return context;
    return (row) =>
      Object.fromEntries(contextProperties.map((p) => [p, row[p]])) as unknown as TContext;
  }

  private idValue(id: string): string | number {
    return keyValue(this.table.key, id);
  }
}

const NO_TIMERS = { disarm: 0, arm: 0 };

/** How many timers a change disarms (not re-armed) and arms, in the one statement. */
function timerCounts(change: TimerChange | undefined): { disarm: number; arm: number } {
  return change ? { disarm: disarmedOnly(change).length, arm: change.arm.length } : NO_TIMERS;
}

/** What a compare-and-set takes besides its UPDATE. */
interface WritePlan {
  readonly withVersion: boolean;
  readonly messages: number;
  /** Timers disarmed and armed in the one statement (PostgreSQL). */
  readonly timers: { readonly disarm: number; readonly arm: number };
  /** A claimed timer fired by the change: required by the update, removed with it. */
  readonly fired: boolean;
  readonly log: boolean;
  readonly otherWrites: boolean;
  /** The log row and the messages go in the UPDATE's own statement (PostgreSQL). */
  readonly oneStatement: boolean;
  /** The written row is read after the UPDATE, in its transaction (no RETURNING). */
  readonly readBack: boolean;
}

/** The key type of an `idType` option. */
function keyOfType(
  idType: 'integer' | 'bigint' | 'uuid' | 'string',
  integersAre64Bit: boolean,
): KeyType {
  switch (idType) {
    case 'integer':
      return { kind: 'integer', max: integersAre64Bit ? INT64_MAX : INT32_MAX };
    case 'bigint':
      return { kind: 'integer', max: INT64_MAX };
    case 'uuid':
      return { kind: 'uuid' };
    case 'string':
      return { kind: 'string', maxLength: 255 };
  }
}
