import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { TransactionHostLike } from '../ambient-transaction.js';
import {
  SqlTransitionStore,
  type ResourceTable,
  type TransitionStoreOptions,
} from '../sql/sql-transition-store.js';
import { TypeOrmConnection } from './typeorm-connection.js';
import { typeOrmTable } from './typeorm-table.js';
import { TransitionLogEntry } from './transition-log.entity.js';

export interface TypeOrmTransitionStoreOptions<
  E extends ObjectLiteral,
  TContext,
> extends TransitionStoreOptions<E, TContext> {
  /** The entity whose rows are the resources. */
  readonly entity: EntityTarget<E>;
  /**
   * `@nestjs-cls/transactional`'s `TransactionHost` (TypeORM adapter): inside `@Transactional()`
   * the store loads and writes in the app's transaction instead of its own, so the state change,
   * its log row and the handler's own writes commit or roll back together. The adapter must be
   * wrapped by `withTransitionHooks`.
   */
  readonly transactionHost?: TransactionHostLike<EntityManager>;
}

/**
 * A `TransitionStore` on a TypeORM entity, for SQLite, PostgreSQL, MySQL and MariaDB: the SQL
 * core's store on a `TypeOrmConnection`, its table and columns read from the entity's metadata.
 * `compareAndSet` is one `UPDATE ... SET state = ?, version = version + 1, ... WHERE id = ? AND
 * state = ? [AND version = ?]`, built once per set of changed columns; the log row
 * (`TransitionLogEntry`, with `log: true`), the outbox messages and the `beforeCommit` hooks
 * (which get the transaction's `EntityManager`) commit with it, in the UPDATE's own statement on
 * PostgreSQL.
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
> extends SqlTransitionStore<E, TContext> {
  constructor(
    protected readonly dataSource: DataSource,
    private readonly entityOptions: TypeOrmTransitionStoreOptions<E, TContext>,
  ) {
    const name =
      entityOptions.name ?? (entityOptions.entity as { name?: string }).name ?? 'resource';
    super(
      new TypeOrmConnection(
        dataSource,
        entityOptions.transactionHost,
        `TypeOrmTransitionStore '${name}'`,
      ),
      { ...entityOptions, table: name, name },
    );
  }

  protected override describeTable(): ResourceTable<E> {
    return typeOrmTable(this.dataSource, this.entityOptions.entity, this.properties);
  }

  /**
   * Checks at bootstrap that the entity and the properties named in the options are known to
   * the DataSource, and the transition log's entity too when `log` is on.
   */
  override verify(): void {
    const where = `TypeOrmTransitionStore '${this.name}'`;
    const { entity } = this.entityOptions;
    const entityName = (entity as { name?: string }).name ?? this.name;
    if (!this.dataSource.hasMetadata(entity)) {
      throw new Error(
        `${where}: entity ${entityName} is not one of the DataSource's entities. Add it to TypeOrmModule.forRoot({ entities }) ` +
          `(or TypeOrmModule.forFeature([${entityName}]) with autoLoadEntities).`,
      );
    }
    try {
      super.verify();
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message} Fix the store's options.`, {
        cause: err,
      });
    }
    if (this.options.log && !this.dataSource.hasMetadata(TransitionLogEntry)) {
      throw new Error(
        `${where}: log: true writes TransitionLogEntry rows, but TransitionLogEntry is not one of the DataSource's entities. ` +
          `Add it: import { TransitionLogEntry } from 'nestjs-transition-guard/typeorm', then ` +
          `TypeOrmModule.forRoot({ entities: [${entityName}, TransitionLogEntry] }), or with autoLoadEntities: true, ` +
          `TypeOrmModule.forFeature([TransitionLogEntry]) in one of your modules. Or set log: false.`,
      );
    }
  }
}
