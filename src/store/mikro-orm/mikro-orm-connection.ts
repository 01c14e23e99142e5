import type { JoinedTransaction } from '../ambient-transaction.js';
import { MYSQL, POSTGRES, SQLITE, type SqlDialect } from '../sql/dialect.js';
import type { RunMode, SqlConnection, SqlQueries, SqlRow } from '../sql/sql-connection.js';

/**
 * The part of a MikroORM 6 SQL `EntityManager` the stores use (`@mikro-orm/better-sqlite`,
 * `@mikro-orm/postgresql`): no MikroORM package is imported at run time.
 */
export interface MikroOrmEntityManagerLike {
  /** The EntityManager of the current request or transaction (MikroORM's context). */
  getContext(): MikroOrmEntityManagerLike;
  isInTransaction(): boolean;
  getTransactionContext(): unknown;
  transactional<T>(cb: (em: MikroOrmEntityManagerLike) => Promise<T>): Promise<T>;
  getConnection(): {
    execute(sql: string, params: unknown[], method: 'all' | 'run', ctx?: unknown): Promise<unknown>;
  };
  getPlatform(): object;
  getMetadata(): { get(entityName: string): MikroOrmEntityMetadata };
  getUnitOfWork(): { getById(entityName: string, id: unknown): object | undefined };
  refresh(entity: object): Promise<unknown>;
  /** Shared by the EntityManager and its forks: where transaction events are subscribed. */
  getEventManager(): { registerSubscriber(subscriber: object): void };
}

/** What the stores read of an entity's metadata. */
export interface MikroOrmEntityMetadata {
  readonly className: string;
  readonly tableName: string;
  readonly primaryKeys: readonly string[];
  readonly properties: Readonly<
    Record<
      string,
      { readonly fieldNames?: readonly string[]; readonly columnTypes?: readonly string[] }
    >
  >;
}

const isEntityManager = (handle: unknown): handle is MikroOrmEntityManagerLike =>
  typeof (handle as Partial<MikroOrmEntityManagerLike> | undefined)?.getTransactionContext ===
  'function';

/**
 * How the SQL core runs on MikroORM (SQLite, PostgreSQL, MySQL and MariaDB): on the current
 * context's EntityManager, in its transaction when the app opened one (`em.transactional()`,
 * `@Transactional()`): the compare-and-set then commits or rolls back with the app's own writes.
 * Otherwise a transaction of its own (`em.transactional()`) where one is needed. Placeholders
 * are `?` on every database (knex numbers them for PostgreSQL).
 */
export class MikroOrmConnection implements SqlConnection {
  readonly dialect: SqlDialect;

  private readonly waiting: WeakMap<object, (() => Promise<void>)[]>;

  constructor(private readonly em: MikroOrmEntityManagerLike) {
    const platform = em.getPlatform().constructor.name;
    const base = /postgre/i.test(platform)
      ? POSTGRES
      : /maria|mysql/i.test(platform)
        ? MYSQL
        : SQLITE;
    this.dialect = { ...base, placeholder: () => '?' };
    // Subscribed now: `em.transactional()` works on a fork whose event manager is a copy made
    // when it starts, so a subscriber added later would miss its commit.
    this.waiting = transactionHooks(em);
  }

  /**
   * Inside the app's `em.transactional()`: what waits for its commit runs once MikroORM reports
   * the outermost transaction committed (its `afterTransactionCommit` event), and is dropped
   * when it rolls back. A nested transaction's work waits for the outermost one.
   */
  joined(): JoinedTransaction | undefined {
    const em = this.em.getContext();
    if (!em.isInTransaction()) return undefined;
    const root = rootTransaction(em.getTransactionContext());
    return {
      afterCommit: (fn) => {
        const list = this.waiting.get(root);
        if (list) list.push(fn);
        else this.waiting.set(root, [fn]);
      },
    };
  }

  get scope(): unknown {
    return this.em;
  }

  inAppTransaction(): boolean {
    return this.em.getContext().isInTransaction();
  }

  run<T>(mode: RunMode, work: (q: SqlQueries) => Promise<T>): Promise<T> {
    const em = this.em.getContext();
    if (mode === 'plain' || em.isInTransaction()) return work(queriesOf(em));
    return em.transactional((tx) => work(queriesOf(tx)));
  }

  queriesOf(handle: unknown): SqlQueries | undefined {
    return isEntityManager(handle) ? queriesOf(handle) : undefined;
  }
}

function queriesOf(em: MikroOrmEntityManagerLike): SqlQueries {
  const connection = em.getConnection();
  const ctx = em.getTransactionContext();
  return {
    query: async (sql, params) =>
      (await connection.execute(sql, [...params], 'all', ctx)) as SqlRow[],
    execute: async (sql, params) => {
      const result = (await connection.execute(sql, [...params], 'run', ctx)) as {
        affectedRows?: number;
      };
      return result.affectedRows ?? 0;
    },
    handle: em,
  };
}

/** What waits for each root transaction's commit, per event manager (one subscriber each). */
const hooksByEvents = new WeakMap<object, WeakMap<object, (() => Promise<void>)[]>>();

function transactionHooks(em: MikroOrmEntityManagerLike): WeakMap<object, (() => Promise<void>)[]> {
  const events = em.getEventManager();
  let waiting = hooksByEvents.get(events);
  if (!waiting) {
    const registry = new WeakMap<object, (() => Promise<void>)[]>();
    waiting = registry;
    hooksByEvents.set(events, registry);
    events.registerSubscriber({
      async afterTransactionCommit(args: { transaction?: object }) {
        const list = args.transaction && registry.get(args.transaction);
        if (!args.transaction || !list) return;
        registry.delete(args.transaction);
        for (const fn of list) await fn();
      },
      afterTransactionRollback(args: { transaction?: object }) {
        if (args.transaction) registry.delete(args.transaction);
      },
    });
  }
  return waiting;
}

/**
 * The outermost transaction of a MikroORM transaction context: a nested one (a savepoint) points
 * to its parent under MikroORM's `parentTransaction` symbol; MikroORM reports commits of the
 * outermost only.
 */
function rootTransaction(ctx: unknown): object {
  let current = ctx as Record<symbol, unknown>;
  for (;;) {
    const parent = Object.getOwnPropertySymbols(current).find(
      (s) => s.description === 'parentTransaction',
    );
    if (!parent) return current;
    current = current[parent] as Record<symbol, unknown>;
  }
}
