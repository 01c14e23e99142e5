import type { StoredState } from '../../core/index.js';
import { SqlIdempotencyStore } from '../sql/sql-idempotency-store.js';
import { SqlOutboxStore } from '../sql/sql-outbox-store.js';
import { SqlTimerStore } from '../sql/sql-timer-store.js';
import {
  SqlTransitionStore,
  type NumberProperty,
  type StringProperty,
  type TransitionStoreOptions,
} from '../sql/sql-transition-store.js';
import type {
  CompareAndSetOptions,
  ExpectedState,
  LockedDecision,
  StoredResource,
  WriteResult,
} from '../transition-store.interface.js';
import {
  MikroOrmConnection,
  type MikroOrmEntityManagerLike,
  type MikroOrmEntityMetadata,
} from './mikro-orm-connection.js';

export interface MikroOrmTransitionStoreOptions<TEntity extends object, TContext> {
  /** The entity's name (its class name, or the `EntitySchema`'s `name`). */
  readonly entity: string;
  /** Property holding the state: a string property. */
  readonly stateProperty: StringProperty<TEntity>;
  /** Property holding the version, a number the write increments; omit if there is none. */
  readonly versionProperty?: NumberProperty<TEntity>;
  /** What the machine's guards read, from a row. Default: the whole row. */
  readonly context?: TransitionStoreOptions<TEntity, TContext>['context'];
  /** The properties `context` reads: see `TransitionStoreOptions.contextProperties`. */
  readonly contextProperties?: TransitionStoreOptions<TEntity, TContext>['contextProperties'];
  /** Write a row in `transition_log` (`TransitionLogSchema`) in the transition's transaction. */
  readonly log?: boolean;
  /** Name for messages ('order'). Default: the table's name. */
  readonly name?: string;
}

/**
 * A `TransitionStore` on a MikroORM 6 entity (SQLite through `@mikro-orm/better-sqlite`,
 * PostgreSQL through `@mikro-orm/postgresql`, MySQL and MariaDB through `@mikro-orm/mysql` and
 * `@mikro-orm/mariadb`). The compare-and-set is one SQL statement on the
 * EntityManager's connection, inside the app's transaction when there is one, so the unit of
 * work never writes the state: and since it does not know the row changed, a managed entity of
 * that row is refreshed after the write, so that a later `flush()` neither reverts the state nor
 * fails on a stale version. Table, columns and key come from the entity's metadata.
 *
 * @example
 * @Injectable()
 * export class OrderStore extends MikroOrmTransitionStore<Order, OrderContext> {
 *   constructor(em: EntityManager) {
 *     super(em, { entity: 'Order', stateProperty: 'status', versionProperty: 'version', log: true });
 *   }
 * }
 */
export class MikroOrmTransitionStore<
  TEntity extends object,
  TContext = TEntity,
> extends SqlTransitionStore<TEntity, TContext> {
  constructor(
    private readonly em: MikroOrmEntityManagerLike,
    private readonly entity: MikroOrmTransitionStoreOptions<TEntity, TContext>,
  ) {
    const meta = metadataOf(em, entity.entity);
    const columns: Record<string, string> = {};
    for (const [property, p] of Object.entries(meta.properties)) {
      const column = p.fieldNames?.[0];
      if (column && column !== property) columns[property] = column;
    }
    const id = meta.primaryKeys[0];
    const idProperty = meta.properties[id] as (typeof meta.properties)[string] | undefined;
    const idColumnType = (idProperty?.columnTypes?.[0] ?? 'integer').toLowerCase();
    super(new MikroOrmConnection(em), {
      table: meta.tableName,
      stateProperty: entity.stateProperty,
      versionProperty: entity.versionProperty,
      idProperty: id as keyof TEntity & string,
      idType: /uuid/.test(idColumnType)
        ? 'uuid'
        : /bigint|int8/.test(idColumnType)
          ? 'bigint'
          : /int|serial/.test(idColumnType)
            ? 'integer'
            : 'string',
      columns: columns as { [K in keyof TEntity]?: string },
      context: entity.context,
      contextProperties: entity.contextProperties,
      log: entity.log,
      name: entity.name ?? meta.tableName,
    });
  }

  /** Checks at bootstrap that the entity and its properties are known to the ORM. */
  override verify(): void {
    const meta = metadataOf(this.em, this.entity.entity);
    for (const property of [this.entity.stateProperty, this.entity.versionProperty]) {
      if (property !== undefined && !(property in meta.properties)) {
        throw new Error(
          `MikroOrmTransitionStore: entity ${meta.className} has no property '${property}' (properties: ${Object.keys(meta.properties).join(', ')}). Fix the store's options.`,
        );
      }
    }
  }

  override async compareAndSet(
    id: string,
    expected: ExpectedState,
    next: { state: StoredState; changes?: Partial<TEntity> },
    options: CompareAndSetOptions,
  ): Promise<WriteResult> {
    const result = await super.compareAndSet(id, expected, next, options);
    if (result.written) await this.refreshManaged(id);
    return result;
  }

  override async commitLocked(
    id: string,
    decide: (current: StoredResource<TContext>) => LockedDecision<Partial<TEntity>>,
    options: { readonly returning?: boolean },
  ): Promise<{ readonly row?: unknown } | null> {
    const result = await super.commitLocked(id, decide, options);
    if (result) await this.refreshManaged(id);
    return result;
  }

  /** The unit of work's entity of this row, if it manages one, reloaded from the database. */
  private async refreshManaged(id: string): Promise<void> {
    const em = this.em.getContext();
    const key = /^[0-9]+$/.test(id) && Number.isSafeInteger(Number(id)) ? Number(id) : id;
    const managed = em.getUnitOfWork().getById(this.entity.entity, key);
    if (managed) await em.refresh(managed);
  }
}

function metadataOf(em: MikroOrmEntityManagerLike, entity: string): MikroOrmEntityMetadata {
  try {
    return em.getMetadata().get(entity);
  } catch (cause) {
    throw new Error(
      `MikroOrmTransitionStore: '${entity}' is not an entity of this MikroORM instance. Add it to MikroOrmModule.forRoot({ entities }).`,
      { cause },
    );
  }
}

/**
 * An `IdempotencyStore` on MikroORM 6 (SQLite and PostgreSQL), keeping keys in
 * `idempotency_keys` (`IdempotencyKeySchema`). Marking a key committed runs inside the
 * transition's transaction when the transition store is a `MikroOrmTransitionStore`.
 *
 * @example
 * @Injectable()
 * export class KeyStore extends MikroOrmIdempotencyStore {
 *   constructor(em: EntityManager) { super(em); }
 * }
 */
export class MikroOrmIdempotencyStore extends SqlIdempotencyStore {
  constructor(em: MikroOrmEntityManagerLike) {
    super(new MikroOrmConnection(em));
  }
}

/**
 * The transactional outbox on MikroORM 6 (SQLite and PostgreSQL), in `transition_outbox` and
 * `transition_handled` (`TransitionOutboxSchema`, `HandledTransitionSchema`): messages commit with
 * the transitions of `MikroOrmTransitionStore`s on the same EntityManager; `delivery.once(tx =>
 * ...)` gives the transaction's EntityManager.
 *
 * @example
 * @Injectable()
 * export class OutboxStore extends MikroOrmOutboxStore {
 *   constructor(em: EntityManager) { super(em); }
 * }
 * // TransitionGuardModule.forRoot({ outbox: { store: OutboxStore } })
 */
export class MikroOrmOutboxStore extends SqlOutboxStore {
  constructor(em: MikroOrmEntityManagerLike) {
    super(new MikroOrmConnection(em), 'MikroOrmOutboxStore');
  }
}

/**
 * The timers of `after` transitions on MikroORM 6 (SQLite, PostgreSQL, MariaDB), in the table
 * `transition_timers` (its DDL in docs/timers.md): armed in the transactions of
 * `MikroOrmTransitionStore`s on the same EntityManager.
 *
 * @example
 * @Injectable()
 * export class TimerStore extends MikroOrmTimerStore {
 *   constructor(em: EntityManager) { super(em); }
 * }
 * // TransitionGuardModule.forRoot({ timers: { store: TimerStore } })
 */
export class MikroOrmTimerStore extends SqlTimerStore {
  constructor(em: MikroOrmEntityManagerLike) {
    super(new MikroOrmConnection(em), 'MikroOrmTimerStore');
  }
}
