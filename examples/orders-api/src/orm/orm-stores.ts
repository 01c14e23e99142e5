import { Inject, Injectable, type Provider, type Type } from '@nestjs/common';
import { EntitySchema, MikroORM, type EntityManager } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { MariaDbDriver } from '@mikro-orm/mariadb';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaPg } from '@prisma/adapter-pg';
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { drizzle as sqliteDrizzle } from 'drizzle-orm/better-sqlite3';
import { drizzle as mysqlDrizzle } from 'drizzle-orm/mysql2';
import { drizzle as pgDrizzle } from 'drizzle-orm/node-postgres';
import mysql from 'mysql2';
import pg from 'pg';
import type {
  IdempotencyStore,
  OutboxStore,
  TimerStore,
  TransitionStore,
} from 'nestjs-transition-guard/store';
import {
  DrizzleIdempotencyStore,
  DrizzleOutboxStore,
  DrizzleTimerStore,
  DrizzleTransitionStore,
  type DrizzleDatabase,
} from 'nestjs-transition-guard/drizzle';
import {
  HandledTransitionSchema,
  IdempotencyKeySchema,
  MikroOrmIdempotencyStore,
  MikroOrmOutboxStore,
  MikroOrmTimerStore,
  MikroOrmTransitionStore,
  TransitionLogSchema,
  TransitionOutboxSchema,
  type MikroOrmEntityManagerLike,
} from 'nestjs-transition-guard/mikro-orm';
import {
  PrismaIdempotencyStore,
  PrismaOutboxStore,
  PrismaTimerStore,
  PrismaTransitionStore,
  type PrismaClientLike,
  type PrismaProvider,
  type PrismaQueries,
} from 'nestjs-transition-guard/prisma';
import type { OrderContext } from '../../../../machines/order.machine.js';
import { generatedClient, requireGeneratedClient } from '../../../../test/support/prisma-client.js';
import type { DatabaseConfig } from '../database.js';
import type { Order } from '../orders/order.entity.js';
import { mysqlOrders, pgOrders, sqliteOrders } from './drizzle-orders.js';
import { NOTIFICATION_WRITER, ORM_HANDLE, type NotificationWriter, type Orm } from './orm.js';

/**
 * The order stores on the ORM chosen with ORM=prisma|drizzle|mikro-orm (TypeORM's are the
 * default, in orders/ and app.module.ts), on the same tables TypeORM created: the order's
 * transitions, their log, the Idempotency-Keys and the outbox go through that ORM; the demo's
 * own routes (create, list, GET) stay on TypeORM.
 */
export interface OrmStores {
  readonly order: Type<TransitionStore<OrderContext, Partial<Order>>>;
  readonly keys: Type<IdempotencyStore>;
  readonly outbox: Type<OutboxStore>;
  /** The payment window's timers (PAYMENT_WINDOW), armed in the order store's transactions. */
  readonly timers: Type<TimerStore>;
  /** The handle the stores inject (`ORM_HANDLE`), made for the database. */
  readonly handle: (database: DatabaseConfig) => Promise<unknown>;
  /** How the notifier writes through a delivery's transaction, given the handle. */
  readonly writer: (handle: unknown) => NotificationWriter;
}

const context = (o: { total: number; paid: number }): OrderContext => ({
  total: o.total,
  paid: o.paid,
});
/** The notifier's INSERT in a database's dialect: its quotes and placeholders. */
const INSERT_NOTIFICATION = (db: DatabaseConfig, placeholders: 'numbered' | '?' = 'numbered') => {
  const q = (name: string) => ('mysql' in db ? `\`${name}\`` : `"${name}"`);
  const p = (n: number) => ('postgres' in db && placeholders === 'numbered' ? `$${n}` : '?');
  return `INSERT INTO notifications (${q('orderId')}, ${q('event')}, ${q('transitionId')}, ${q('text')}) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)})`;
};

/** A pool's errors (a server restarting, a backend terminated) are logged, never a crash. */
/**
 * A pool's connection errors logged, not fatal: node-postgres emits `error` on the pool for an
 * idle connection that is cut, and on a checked-out client cut between two queries.
 */
const logPoolErrors = (pool: pg.Pool | mysql.Pool) => {
  const log = (err: Error) => {
    console.warn(`orders-api: a database connection failed: ${err.message}`);
  };
  pool.on('error', log);
  if (pool instanceof pg.Pool) pool.on('connect', (client) => client.on('error', log));
};

/** The generated client, generated here on first use (offline: see test/support/prisma-client). */
function prismaClient(provider: PrismaProvider) {
  try {
    return requireGeneratedClient(provider);
  } catch {
    return generatedClient(provider);
  }
}

/** A Prisma client, its datasource's provider, and the database. */
interface PrismaHandle {
  readonly client: PrismaClientLike;
  readonly provider: PrismaProvider;
  readonly database: DatabaseConfig;
}

/** Prisma: the client generated from the test schemas (the stores run raw SQL: no models needed). */
function prismaStores(): OrmStores {
  @Injectable()
  class OrderStore extends PrismaTransitionStore<Order, OrderContext> {
    constructor(@Inject(ORM_HANDLE) { client, provider }: PrismaHandle) {
      super(client, {
        provider,
        table: 'orders',
        name: 'order',
        stateProperty: 'status',
        versionProperty: 'version',
        log: true,
        context,
      });
    }
  }
  @Injectable()
  class KeyStore extends PrismaIdempotencyStore {
    constructor(@Inject(ORM_HANDLE) { client, provider }: PrismaHandle) {
      super(client, provider);
    }
  }
  @Injectable()
  class OutboxStoreOnPrisma extends PrismaOutboxStore {
    constructor(@Inject(ORM_HANDLE) { client, provider }: PrismaHandle) {
      super(client, provider);
    }
  }
  @Injectable()
  class TimerStoreOnPrisma extends PrismaTimerStore {
    constructor(@Inject(ORM_HANDLE) { client, provider }: PrismaHandle) {
      super(client, provider);
    }
  }
  return {
    order: OrderStore,
    keys: KeyStore,
    outbox: OutboxStoreOnPrisma,
    timers: TimerStoreOnPrisma,
    handle: (db): Promise<PrismaHandle> => {
      const provider = 'postgres' in db ? 'postgresql' : 'mysql' in db ? 'mysql' : 'sqlite';
      const Client = prismaClient(provider);
      let adapter;
      if ('postgres' in db) {
        const pool = new pg.Pool({ connectionString: db.postgres });
        logPoolErrors(pool);
        adapter = new PrismaPg(pool);
      } else if ('mysql' in db) {
        adapter = new PrismaMariaDb(db.mysql.replace(/^mysql:/, 'mariadb:'));
      } else adapter = new PrismaBetterSqlite3({ url: `file:${db.sqlite}`, timeout: 50 });
      return Promise.resolve({ client: new Client({ adapter }), provider, database: db });
    },
    writer: (handle) => {
      const insert = INSERT_NOTIFICATION((handle as PrismaHandle).database);
      return async (tx, n) => {
        await (tx as PrismaQueries).$executeRawUnsafe(
          insert,
          n.orderId,
          n.event,
          n.transitionId,
          n.text,
        );
      };
    },
  };
}

/** A Drizzle database and its database. */
interface DrizzleHandle {
  readonly db: DrizzleDatabase;
  readonly database: DatabaseConfig;
}

function drizzleStores(): OrmStores {
  @Injectable()
  class OrderStore extends DrizzleTransitionStore<typeof pgOrders, OrderContext> {
    constructor(@Inject(ORM_HANDLE) { db, database }: DrizzleHandle) {
      // One class for every dialect: the tables have the same properties.
      const table =
        'postgres' in database ? pgOrders : 'mysql' in database ? mysqlOrders : sqliteOrders;
      super(db, {
        table: table as typeof pgOrders,
        name: 'order',
        stateProperty: 'status',
        versionProperty: 'version',
        log: true,
        context,
      });
    }
  }
  @Injectable()
  class KeyStore extends DrizzleIdempotencyStore {
    constructor(@Inject(ORM_HANDLE) { db }: DrizzleHandle) {
      super(db);
    }
  }
  @Injectable()
  class OutboxStoreOnDrizzle extends DrizzleOutboxStore {
    constructor(@Inject(ORM_HANDLE) { db }: DrizzleHandle) {
      super(db);
    }
  }
  @Injectable()
  class TimerStoreOnDrizzle extends DrizzleTimerStore {
    constructor(@Inject(ORM_HANDLE) { db }: DrizzleHandle) {
      super(db);
    }
  }
  return {
    order: OrderStore as unknown as OrmStores['order'],
    keys: KeyStore,
    outbox: OutboxStoreOnDrizzle,
    timers: TimerStoreOnDrizzle,
    handle: (database): Promise<DrizzleHandle> => {
      if ('postgres' in database) {
        const pool = new pg.Pool({ connectionString: database.postgres });
        logPoolErrors(pool);
        return Promise.resolve({ db: pgDrizzle(pool), database });
      }
      if ('mysql' in database) {
        const pool = mysql.createPool({ uri: database.mysql, connectTimeout: 2000 });
        logPoolErrors(pool);
        return Promise.resolve({ db: mysqlDrizzle(pool), database });
      }
      return Promise.resolve({
        db: sqliteDrizzle(new Database(database.sqlite, { timeout: 50 })),
        database,
      });
    },
    writer: (handle) => {
      const { database } = handle as DrizzleHandle;
      const text = INSERT_NOTIFICATION(database, '?');
      return async (tx, n) => {
        const [head, ...rest] = text.split('?');
        const insert = sql.join([
          sql.raw(head),
          ...[n.orderId, n.event, n.transitionId, n.text].flatMap((value, i) => [
            sql`${value}`,
            sql.raw(rest[i]),
          ]),
        ]);
        if ('sqlite' in database) (tx as ReturnType<typeof sqliteDrizzle>).run(insert);
        else await (tx as ReturnType<typeof pgDrizzle>).execute(insert);
      };
    },
  };
}

/** The orders table as a MikroORM entity (the columns the store reads and writes). */
const MikroOrder = new EntitySchema<Omit<Order, 'createdAt' | 'updatedAt' | 'ownerId'>>({
  name: 'Order',
  tableName: 'orders',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    status: { type: 'string' },
    total: { type: 'integer' },
    paid: { type: 'integer' },
    carrier: { type: 'string', nullable: true },
    trackingNumber: { type: 'string', nullable: true, fieldName: 'trackingNumber' },
    version: { type: 'integer' },
  },
});

function mikroOrmStores(): OrmStores {
  @Injectable()
  class OrderStore extends MikroOrmTransitionStore<Order, OrderContext> {
    constructor(@Inject(ORM_HANDLE) em: MikroOrmEntityManagerLike) {
      super(em, {
        entity: 'Order',
        name: 'order',
        stateProperty: 'status',
        versionProperty: 'version',
        log: true,
        context,
      });
    }
  }
  @Injectable()
  class KeyStore extends MikroOrmIdempotencyStore {
    constructor(@Inject(ORM_HANDLE) em: MikroOrmEntityManagerLike) {
      super(em);
    }
  }
  @Injectable()
  class OutboxStoreOnMikroOrm extends MikroOrmOutboxStore {
    constructor(@Inject(ORM_HANDLE) em: MikroOrmEntityManagerLike) {
      super(em);
    }
  }
  @Injectable()
  class TimerStoreOnMikroOrm extends MikroOrmTimerStore {
    constructor(@Inject(ORM_HANDLE) em: MikroOrmEntityManagerLike) {
      super(em);
    }
  }
  const entities = [
    MikroOrder,
    TransitionLogSchema,
    IdempotencyKeySchema,
    TransitionOutboxSchema,
    HandledTransitionSchema,
  ];
  return {
    order: OrderStore,
    keys: KeyStore,
    outbox: OutboxStoreOnMikroOrm,
    timers: TimerStoreOnMikroOrm,
    handle: async (db) =>
      (
        await ('postgres' in db || 'mysql' in db
          ? MikroORM.init({
              driver: 'postgres' in db ? PostgreSqlDriver : MariaDbDriver,
              clientUrl: 'postgres' in db ? db.postgres : db.mysql,
              entities,
              allowGlobalContext: true,
            } as Parameters<typeof MikroORM.init>[0])
          : MikroORM.init({
              driver: BetterSqliteDriver,
              dbName: db.sqlite,
              entities,
              allowGlobalContext: true,
            }))
      ).em,
    writer: (handle) => async (tx, n) => {
      const em = tx as EntityManager;
      await em
        .getConnection()
        .execute(
          INSERT_NOTIFICATION(databaseOf(handle as EntityManager), '?'),
          [n.orderId, n.event, n.transitionId, n.text],
          'run',
          em.getTransactionContext(),
        );
    },
  };
}

const made = new Map<Orm, OrmStores>();

/** The stores for `orm` (not TypeORM: its stores are the demo's default classes), made once. */
export function ormStores(orm: Exclude<Orm, 'typeorm'>): OrmStores {
  let stores = made.get(orm);
  if (!stores) {
    stores =
      orm === 'prisma' ? prismaStores() : orm === 'drizzle' ? drizzleStores() : mikroOrmStores();
    made.set(orm, stores);
  }
  return stores;
}

/** The ORM's handle, made once the database is known, and the notifier's writer on it. */
export const ormProviders = (stores: OrmStores, database: DatabaseConfig): Provider[] => [
  { provide: ORM_HANDLE, useFactory: () => stores.handle(database) },
  {
    provide: NOTIFICATION_WRITER,
    useFactory: (handle: unknown) => stores.writer(handle),
    inject: [ORM_HANDLE],
  },
];

/** The database a MikroORM EntityManager talks to, from its platform. */
function databaseOf(em: EntityManager): DatabaseConfig {
  const platform = em.getPlatform().constructor.name;
  if (/postgre/i.test(platform)) return { postgres: '' };
  if (/maria|mysql/i.test(platform)) return { mysql: '' };
  return { sqlite: '' };
}
