import type { SqlConnection, SqlQueries, SqlRow } from '../sql/sql-connection.js';

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
 * How the SQL stores run on MikroORM: on the current context's EntityManager, in its
 * transaction when the app opened one (`em.transactional()`, `@Transactional()`): the
 * compare-and-set then commits or rolls back with the app's own writes. Otherwise a transaction
 * of its own (`em.transactional()`) where one is needed. Placeholders are `?` (knex) on both
 * databases.
 */
export class MikroOrmConnection implements SqlConnection {
  readonly postgres: boolean;

  constructor(private readonly em: MikroOrmEntityManagerLike) {
    this.postgres = /postgre/i.test(em.getPlatform().constructor.name);
  }

  placeholder(): string {
    return '?';
  }

  run<T>(mode: 'plain' | 'transaction', work: (q: SqlQueries) => Promise<T>): Promise<T> {
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
