import {
  LessThan,
  type DataSource,
  type EntityManager,
  type EntityTarget,
  type ObjectLiteral,
  type QueryRunner,
} from 'typeorm';
import { type StoredState } from '../../core/index.js';
import { encodeState } from '../../core/state-value.js';
import { historyPageOf, LOG_COLUMNS, logRowOf, nextVersion, writtenRecord } from '../log-rows.js';
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
import { TypeOrmStatements } from './typeorm-statements.js';
import { TypeOrmOutboxStore } from './typeorm-outbox-store.js';
import { outboxInsertValues } from '../outbox-rows.js';
import type { NewOutboxMessage, OutboxStore } from '../outbox-store.interface.js';
import { onConnection } from './connection-queue.js';
import { TransitionLogEntry } from './transition-log.entity.js';
import { callDatabase } from '../database-failures.js';
import { canonicalKey, keyValue, keyTypeOf, type KeyType } from '../key-types.js';
import {
  ambientTransaction,
  joinedTransaction,
  type JoinedTransaction,
  type TransactionHostLike,
} from '../ambient-transaction.js';

export interface TypeOrmTransitionStoreOptions<E extends ObjectLiteral, TContext> {
  /** The entity whose rows are the resources. */
  readonly entity: EntityTarget<E>;
  /** Property holding the state. Parallel state values are stored as JSON. */
  readonly stateProperty: keyof E & string;
  /** Property holding the version (an integer the write increments); omit if the table has none. */
  readonly versionProperty?: keyof E & string;
  /** Primary key property. Default `'id'`. */
  readonly idProperty?: keyof E & string;
  /** What the machine's guards read, from a row. Default: the whole row. */
  readonly context?: (row: E) => TContext;
  /** Write a `TransitionLogEntry` in the same transaction as each state change. */
  readonly log?: boolean;
  /** Name for messages ('order'). Default: the entity's table name. */
  readonly name?: string;
  /**
   * `@nestjs-cls/transactional`'s `TransactionHost` (TypeORM adapter): inside `@Transactional()`
   * the store loads and writes in the app's transaction instead of its own, so the state change,
   * its log row and the handler's own writes commit or roll back together. The adapter must be
   * wrapped by `withTransitionHooks`.
   */
  readonly transactionHost?: TransactionHostLike<EntityManager>;
}

/**
 * A `TransitionStore` on a TypeORM entity, for SQLite and PostgreSQL. `compareAndSet` is one
 * `UPDATE ... SET state = :to, version = version + 1, ... WHERE id = :id AND state = :from [AND
 * version = :version] RETURNING ...`; the transition log row and the `beforeCommit` hooks commit
 * with it, in one transaction. On PostgreSQL the log row, and the outbox messages of a
 * `TypeOrmOutboxStore` when their version is known before the write, are INSERTs in the UPDATE's
 * own statement (`WITH w AS (UPDATE ...) INSERT ... SELECT ... FROM w`): one round trip.
 *
 * @example
 * @Injectable()
 * export class OrderStore extends TypeOrmTransitionStore<Order, OrderContext> {
 *   constructor(dataSource: DataSource) {
 *     super(dataSource, { entity: Order, stateProperty: 'status', versionProperty: 'version', log: true,
 *       context: (o) => ({ total: o.total, paid: o.paid }) });
 *   }
 * }
 */
export class TypeOrmTransitionStore<
  E extends ObjectLiteral,
  TContext = E,
> implements TransitionStore<TContext, Partial<E>> {
  private readonly idProperty: string;
  private key: KeyType | undefined;
  private sql: TypeOrmStatements<E> | undefined;
  private readonly name: string;

  constructor(
    protected readonly dataSource: DataSource,
    protected readonly options: TypeOrmTransitionStoreOptions<E, TContext>,
  ) {
    this.idProperty = options.idProperty ?? 'id';
    this.name = options.name ?? (options.entity as { name?: string }).name ?? 'resource';
  }

  async load(id: string): Promise<StoredResource<TContext> | null> {
    const sql = this.statements();
    const params = [this.idValue(id)];
    const joined = this.ambient();
    const rows = await callDatabase(this.name, () =>
      joined
        ? joined.query<Record<string, unknown>[]>(sql.load, params)
        : onConnection(this.dataSource, () =>
            this.dataSource.query<Record<string, unknown>[]>(sql.load, params),
          ),
    );
    const raw = rows[0] as Record<string, unknown> | undefined;
    return raw ? this.toResource(sql.hydrate(raw)) : null;
  }

  /**
   * One `UPDATE ... SET state, version = version + 1, changes WHERE id AND state [AND version]
   * RETURNING ...` with placeholders; in a transaction with the log row and the `beforeCommit`
   * hooks when there are any.
   */
  async compareAndSet(
    id: string,
    expected: ExpectedState,
    next: { state: StoredState; changes?: Partial<E> },
    options: CompareAndSetOptions,
  ): Promise<WriteResult> {
    const withVersion =
      this.options.versionProperty !== undefined && expected.version !== undefined;
    const sql = this.statements();
    const messages = options.messages ?? [];
    if (messages.length && !sql.postgres) {
      throw new Error(`${this.name}: outbox messages given to a store that does not write them`);
    }
    const log = this.options.log ?? false;
    // On PostgreSQL the log row and the outbox messages go in the UPDATE's own statement.
    const inserts = sql.postgres && (log || messages.length > 0);
    let update = this.updateOf(id, expected, next, withVersion, options.returning ?? false);
    if (inserts) update = this.withInserts(update, options.record, messages);
    const write = async (runner: QueryRunner): Promise<WriteResult> => {
      const row = await this.runUpdate(runner, update);
      if (!row) return { written: false };
      const { versionProperty } = this.options;
      const version = versionProperty && (row[versionProperty] as number);
      if (!inserts)
        await this.writeLog(runner, writtenRecord(options.record, withVersion, version));
      if (options.beforeCommit) await options.beforeCommit(runner.manager, { version });
      return options.returning ? { written: true, version, row } : { written: true, version };
    };
    // The compare-and-set UPDATE is atomic on its own; a transaction is needed only when other
    // writes (the log row, beforeCommit hooks) must commit or roll back with it.
    const alone = (inserts || !log) && !options.beforeCommit;
    return callDatabase(this.name, () => this.run(alone ? 'plain' : 'transaction', write));
  }

  /**
   * On PostgreSQL, outbox messages of a `TypeOrmOutboxStore` on the same DataSource are written
   * in the compare-and-set's statement (see `withInserts`).
   */
  writesMessages(outbox: OutboxStore): boolean {
    return (
      this.statements().postgres &&
      outbox instanceof TypeOrmOutboxStore &&
      outbox.transactionScope() === this.dataSource &&
      // A subclass writing its messages its own way keeps its way.
      outbox.enqueue === TypeOrmOutboxStore.prototype.enqueue
    );
  }

  /**
   * Pessimistic commit: in one transaction, the row locked (`SELECT ... FOR UPDATE` on
   * PostgreSQL; on SQLite the transaction starts `IMMEDIATE`, taking the write lock first), then
   * the decision, the write, the log and the hooks.
   */
  async commitLocked(
    id: string,
    decide: (current: StoredResource<TContext>) => LockedDecision<Partial<E>>,
    options: { readonly returning?: boolean },
  ): Promise<{ readonly row?: unknown } | null> {
    const sql = this.statements();
    return callDatabase(this.name, () =>
      this.run('locked', async (runner) => {
        const rows = (await runner.query(sql.lockAndLoad, [this.idValue(id)])) as Record<
          string,
          unknown
        >[];
        if (!rows[0]) return null;
        const current = this.toResource(sql.hydrate(rows[0]));
        const decision = decide(current);
        const update = this.updateOf(
          id,
          { state: current.state, version: current.version },
          decision,
          current.version !== undefined,
          options.returning ?? false,
        );
        const row = await this.runUpdate(runner, update);
        if (!row) throw new Error(`${this.name} ${id}: the locked row changed under its lock`);
        await this.writeLog(runner, decision.record);
        if (decision.beforeCommit) {
          await decision.beforeCommit(runner.manager, { version: nextVersion(current) });
        }
        return options.returning ? { row } : {};
      }),
    );
  }

  /**
   * The transition log of one resource (when `log: true`), newest first, `query.limit` entries
   * before the `query.before` cursor (a log row's id): keyset pagination on the log's
   * (resource, resourceId, id) index.
   */
  async history(resource: string, id: string, query: HistoryQuery): Promise<HistoryPage> {
    if (!this.options.log) {
      throw new Error(
        `TypeOrmTransitionStore '${this.name}' keeps no transition log: set log: true (and add TransitionLogEntry to the entities) to read history.`,
      );
    }
    const rows = await callDatabase(this.name, () =>
      onConnection(this.dataSource, () =>
        this.dataSource.getRepository(TransitionLogEntry).find({
          where: {
            resource,
            resourceId: id,
            ...(query.before === undefined ? {} : { id: LessThan(Number(query.before)) }),
          },
          order: { id: 'DESC' },
          take: query.limit + 1,
        }),
      ),
    );
    return historyPageOf(rows, query.limit);
  }

  /** The app's open transaction this store's writes join now (`transactionHost`), if any. */
  joinedTransaction(): JoinedTransaction | undefined {
    const tx = this.ambient();
    return tx && joinedTransaction(tx, `TypeOrmTransitionStore '${this.name}'`);
  }

  private ambient(): EntityManager | undefined {
    const tx = ambientTransaction(this.options.transactionHost);
    if (tx && !tx.queryRunner) {
      throw new Error(
        `TypeOrmTransitionStore '${this.name}': transactionHost says a transaction is active, but its tx is not a transaction's EntityManager.`,
      );
    }
    return tx;
  }

  /** Outbox rows go through this store's transactions: a `TypeOrmOutboxStore` on the same DataSource. */
  transactionScope(): unknown {
    return this.dataSource;
  }

  /** The compare-and-set statement for these changes, and its parameters. */
  private updateOf(
    id: string,
    expected: ExpectedState,
    next: { readonly state: StoredState; readonly changes?: Partial<E> },
    withVersion: boolean,
    returning: boolean,
  ): { sql: string; params: unknown[] } {
    const { stateProperty, versionProperty } = this.options;
    assertChangesAllowed(next.changes, [
      stateProperty,
      this.idProperty,
      ...(versionProperty ? [versionProperty] : []),
    ]);
    const changes: Partial<E> = next.changes ?? {};
    const sql = this.statements();
    const update = sql.update(Object.keys(changes), withVersion, returning);
    const params: unknown[] = [encodeState(next.state)];
    for (const column of update.columns) {
      params.push(sql.toColumn(column, changes[column.propertyName as keyof E]));
    }
    params.push(this.idValue(id), encodeState(expected.state));
    if (withVersion) params.push(expected.version);
    return { sql: update.sql, params };
  }

  /** The compare-and-set with the log row and `messages` in its statement, and their parameters. */
  private withInserts(
    update: { sql: string; params: unknown[] },
    record: TransitionRecord,
    messages: readonly NewOutboxMessage[],
  ): { sql: string; params: unknown[] } {
    const log = this.options.log ?? false;
    const sql = this.statements().withInserts(
      update.sql,
      update.params.length,
      log,
      messages.length,
    );
    const params = [...update.params];
    if (log) {
      const row = logRowOf(record);
      const versioned = this.options.versionProperty !== undefined;
      for (const c of LOG_COLUMNS) if (!(versioned && c === 'version')) params.push(row[c]);
    }
    params.push(...outboxInsertValues(messages, Date.now()));
    return { sql, params };
  }

  /** Runs an UPDATE ... RETURNING; the written row, or undefined when no row matched. */
  private async runUpdate(
    runner: QueryRunner,
    update: { sql: string; params: unknown[] },
  ): Promise<E | undefined> {
    const result = await runner.query(update.sql, update.params, true);
    const raw = (result.records as Record<string, unknown>[] | undefined)?.[0];
    return raw ? this.statements().hydrate(raw) : undefined;
  }

  /**
   * Runs `work` on a query runner: alone (`plain`), in a transaction, or in a transaction that
   * takes the write lock first (`locked`: `BEGIN IMMEDIATE` on SQLite; PostgreSQL locks rows).
   * Inside the app's transaction (`transactionHost`), on its query runner: it commits with it.
   */
  private async run<T>(
    mode: 'plain' | 'transaction' | 'locked',
    work: (runner: QueryRunner) => Promise<T>,
  ): Promise<T> {
    const joined = this.ambient()?.queryRunner;
    if (joined) return work(joined);
    return onConnection(this.dataSource, () => this.runNow(mode, work));
  }

  private async runNow<T>(
    mode: 'plain' | 'transaction' | 'locked',
    work: (runner: QueryRunner) => Promise<T>,
  ): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      if (mode === 'plain') return await work(runner);
      const immediate = mode === 'locked' && !this.statements().postgres;
      if (immediate) await runner.query('BEGIN IMMEDIATE');
      else await runner.startTransaction();
      try {
        const result = await work(runner);
        if (immediate) await runner.query('COMMIT');
        else await runner.commitTransaction();
        return result;
      } catch (err) {
        if (immediate) await runner.query('ROLLBACK').catch(() => undefined);
        else if (runner.isTransactionActive)
          await runner.rollbackTransaction().catch(() => undefined);
        throw err;
      }
    } finally {
      await runner.release();
    }
  }

  private async writeLog(runner: QueryRunner, record: TransitionRecord): Promise<void> {
    const insert = this.statements().insertLog;
    if (!insert) return;
    const row = logRowOf(record);
    await runner.query(
      insert,
      LOG_COLUMNS.map((column) => row[column]),
    );
  }

  private toResource(row: E): StoredResource<TContext> {
    const { versionProperty, stateProperty, context } = this.options;
    return resourceOfRow(row, { state: stateProperty, version: versionProperty, context });
  }

  private statements(): TypeOrmStatements<E> {
    return (this.sql ??= new TypeOrmStatements(
      this.dataSource,
      this.options.entity,
      {
        id: this.idProperty,
        state: this.options.stateProperty,
        version: this.options.versionProperty,
      },
      this.options.log ?? false,
    ));
  }

  /**
   * Checks at bootstrap that the entity and the properties named in the options are known to
   * the DataSource, and the transition log's entity too when `log` is on.
   */
  verify(): void {
    const where = `TypeOrmTransitionStore '${this.name}'`;
    const entityName = (this.options.entity as { name?: string }).name ?? this.name;
    if (!this.dataSource.hasMetadata(this.options.entity)) {
      throw new Error(
        `${where}: entity ${entityName} is not one of the DataSource's entities. Add it to TypeOrmModule.forRoot({ entities }) ` +
          `(or TypeOrmModule.forFeature([${entityName}]) with autoLoadEntities).`,
      );
    }
    const meta = this.dataSource.getMetadata(this.options.entity);
    const { stateProperty, versionProperty } = this.options;
    for (const property of [this.idProperty, stateProperty, versionProperty]) {
      if (property !== undefined && !meta.findColumnWithPropertyName(property)) {
        throw new Error(
          `${where}: entity ${meta.name} has no column property '${property}' (columns: ${meta.columns.map((c) => c.propertyName).join(', ')}). Fix the store's options.`,
        );
      }
    }
    if (this.options.log && !this.dataSource.hasMetadata(TransitionLogEntry)) {
      throw new Error(
        `${where}: log: true writes TransitionLogEntry rows, but TransitionLogEntry is not one of the DataSource's entities. ` +
          `Add it: import { TransitionLogEntry } from 'nestjs-transition-guard/typeorm', then ` +
          `TypeOrmModule.forRoot({ entities: [${entityName}, TransitionLogEntry] }), or with autoLoadEntities: true, ` +
          `TypeOrmModule.forFeature([TransitionLogEntry]) in one of your modules. Or set log: false.`,
      );
    }
    this.keyType();
  }

  /** The id as the key column holds it (its type and range read from the entity), or undefined. */
  canonicalId(id: string): string | undefined {
    return canonicalKey(this.keyType(), id);
  }

  private keyType(): KeyType {
    if (this.key) return this.key;
    const meta = this.dataSource.getMetadata(this.options.entity);
    const column = meta.findColumnWithPropertyName(this.idProperty);
    if (!column) {
      throw new Error(
        `TypeOrmTransitionStore: entity ${meta.name} has no property '${this.idProperty}'`,
      );
    }
    const sqlite = /sqlite/.test(this.dataSource.options.type);
    const type =
      column.generationStrategy === 'uuid' ? 'uuid' : this.dataSource.driver.normalizeType(column);
    return (this.key = keyTypeOf(type, {
      sqlite,
      length: Number(column.length) || undefined,
    }));
  }

  private idValue(id: string): string | number {
    return keyValue(this.keyType(), id);
  }
}
