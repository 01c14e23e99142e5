import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { decodeState, encodeState, type StoredState } from '../../core/index.js';
import { assertChangesAllowed } from '../store-errors.js';
import type {
  CompareAndSetOptions,
  ExpectedState,
  StoredResource,
  TransitionStore,
} from '../transition-store.interface.js';
import { TransitionLogEntry } from './transition-log.entity.js';
import { callDatabase } from './typeorm-failures.js';
import { canonicalKey, keyTypeOf, type KeyType } from '../key-types.js';

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
}

/**
 * A `TransitionStore` on a TypeORM entity, for SQLite and PostgreSQL. `compareAndSet` is one
 * `UPDATE ... SET state = :to, version = version + 1, ... WHERE id = :id AND state = :from [AND
 * version = :version]` in a transaction, with the transition log row and the `beforeCommit`
 * hook in the same transaction.
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
  private readonly name: string;

  constructor(
    protected readonly dataSource: DataSource,
    protected readonly options: TypeOrmTransitionStoreOptions<E, TContext>,
  ) {
    this.idProperty = options.idProperty ?? 'id';
    this.name = options.name ?? (options.entity as { name?: string }).name ?? 'resource';
  }

  async load(id: string): Promise<StoredResource<TContext> | null> {
    const row = await callDatabase(this.name, () =>
      this.dataSource
        .getRepository(this.options.entity)
        .findOneBy({ [this.idProperty]: this.idValue(id) } as never),
    );
    if (!row) return null;
    const version = this.options.versionProperty
      ? Number(row[this.options.versionProperty])
      : undefined;
    return {
      state: decodeState(row[this.options.stateProperty]),
      context: this.options.context ? this.options.context(row) : (row as unknown as TContext),
      ...(version === undefined ? {} : { version }),
    };
  }

  async compareAndSet(
    id: string,
    expected: ExpectedState,
    next: { state: StoredState; changes?: Partial<E> },
    options: CompareAndSetOptions,
  ): Promise<boolean> {
    const { stateProperty, versionProperty } = this.options;
    assertChangesAllowed(next.changes, [
      stateProperty,
      this.idProperty,
      ...(versionProperty ? [versionProperty] : []),
    ]);
    const write = async (manager: EntityManager) => {
      const set: Record<string, unknown> = {
        ...next.changes,
        [stateProperty]: encodeState(next.state),
      };
      let where = `${this.column(this.idProperty)} = :id AND ${this.column(stateProperty)} = :from`;
      if (versionProperty) {
        const col = this.column(versionProperty);
        set[versionProperty] = () => `${col} + 1`;
        if (expected.version !== undefined) where += ` AND ${col} = :version`;
      }
      const result = await manager
        .createQueryBuilder()
        .update(this.options.entity)
        .set(set as never)
        .where(where, {
          id: this.idValue(id),
          from: encodeState(expected.state),
          version: expected.version,
        })
        .execute();
      if (result.affected !== 1) return false;
      if (this.options.log) {
        const r = options.record;
        await manager.insert(TransitionLogEntry, {
          resource: r.resource,
          resourceId: r.resourceId,
          event: r.event,
          from: encodeState(r.from),
          to: encodeState(r.to),
          version: r.version ?? null,
          actor: r.actor,
          at: r.at.toISOString(),
        });
      }
      await options.beforeCommit?.(manager);
      return true;
    };
    // The compare-and-set UPDATE is atomic on its own; a transaction is needed only when other
    // writes (the log row, beforeCommit hooks) must commit or roll back with it.
    const alone = !this.options.log && !options.beforeCommit;
    return callDatabase(this.name, () =>
      alone ? write(this.dataSource.manager) : this.dataSource.transaction(write),
    );
  }

  /** The transition log of one resource, oldest first (when `log: true`). */
  async history(resource: string, id: string): Promise<TransitionLogEntry[]> {
    return callDatabase(this.name, () =>
      this.dataSource
        .getRepository(TransitionLogEntry)
        .find({ where: { resource, resourceId: id }, order: { id: 'ASC' } }),
    );
  }

  private column(property: string): string {
    const meta = this.dataSource.getMetadata(this.options.entity);
    const column = meta.findColumnWithPropertyName(property);
    if (!column)
      throw new Error(`TypeOrmTransitionStore: entity ${meta.name} has no property '${property}'`);
    return this.dataSource.driver.escape(column.databaseName);
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
    const key = this.keyType();
    // Integers beyond 2^53 stay strings: the driver passes them exactly.
    return key.kind === 'integer' && Number.isSafeInteger(Number(id)) ? Number(id) : id;
  }
}
