import { Inject, Injectable, type Provider, type Type } from '@nestjs/common';
import { EntitySchema, MikroORM, type EntityManager } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { drizzle as sqliteDrizzle } from 'drizzle-orm/better-sqlite3';
import { drizzle as pgDrizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { IdempotencyStore, OutboxStore, TransitionStore } from 'nestjs-transition-guard/store';
import {
  DrizzleIdempotencyStore,
  DrizzleOutboxStore,
  DrizzleTransitionStore,
  pgIdempotencyKeys,
  pgTransitionLog,
  sqliteIdempotencyKeys,
  sqliteTransitionLog,
  type DrizzleDatabase,
} from 'nestjs-transition-guard/drizzle';
import {
  HandledTransitionSchema,
  IdempotencyKeySchema,
  MikroOrmIdempotencyStore,
  MikroOrmOutboxStore,
  MikroOrmTransitionStore,
  TransitionLogSchema,
  TransitionOutboxSchema,
  type MikroOrmEntityManagerLike,
} from 'nestjs-transition-guard/mikro-orm';
import {
  PrismaIdempotencyStore,
  PrismaOutboxStore,
  PrismaTransitionStore,
  type PrismaClientLike,
  type PrismaProvider,
  type PrismaQueries,
} from 'nestjs-transition-guard/prisma';
import type { OrderContext } from '../../../../machines/order.machine.js';
import { generatedClient, requireGeneratedClient } from '../../../../test/support/prisma-client.js';
import type { DatabaseConfig } from '../database.js';
import type { Order } from '../orders/order.entity.js';
import { pgOrders, sqliteOrders } from './drizzle-orders.js';
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
  /** The handle the stores inject (`ORM_HANDLE`), made for the database. */
  readonly handle: (database: DatabaseConfig) => Promise<unknown>;
  /** How the notifier writes through a delivery's transaction, given the handle. */
  readonly writer: (handle: unknown) => NotificationWriter;
}

const context = (o: { total: number; paid: number }): OrderContext => ({
  total: o.total,
  paid: o.paid,
});
const INSERT_NOTIFICATION = (p: (n: number) => string) =>
  `INSERT INTO notifications ("orderId", event, "transitionId", text) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)})`;

/** The generated client, generated here on first use (offline: see test/support/prisma-client). */
function prismaClient(provider: PrismaProvider) {
  try {
    return requireGeneratedClient(provider);
  } catch {
    return generatedClient(provider);
  }
}

/** A Prisma client and its datasource's provider. */
interface PrismaHandle {
  readonly client: PrismaClientLike;
  readonly provider: PrismaProvider;
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
  return {
    order: OrderStore,
    keys: KeyStore,
    outbox: OutboxStoreOnPrisma,
    handle: (db): Promise<PrismaHandle> => {
      const provider = 'postgres' in db ? 'postgresql' : 'sqlite';
      const Client = prismaClient(provider);
      const client = new Client({
        adapter:
          'postgres' in db
            ? new PrismaPg(new pg.Pool({ connectionString: db.postgres }))
            : new PrismaBetterSqlite3({ url: `file:${db.sqlite}`, timeout: 50 }),
      });
      return Promise.resolve({ client, provider });
    },
    writer: (handle) => {
      const postgresql = (handle as PrismaHandle).provider === 'postgresql';
      const insert = INSERT_NOTIFICATION((n) => (postgresql ? `$${n}` : '?'));
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

/** A Drizzle database and its dialect. */
interface DrizzleHandle {
  readonly db: DrizzleDatabase;
  readonly postgres: boolean;
}

function drizzleStores(): OrmStores {
  @Injectable()
  class OrderStore extends DrizzleTransitionStore<typeof pgOrders, OrderContext> {
    constructor(@Inject(ORM_HANDLE) { db, postgres }: DrizzleHandle) {
      // One class for both dialects: the tables have the same properties.
      super(db, {
        table: (postgres ? pgOrders : sqliteOrders) as typeof pgOrders,
        name: 'order',
        stateProperty: 'status',
        versionProperty: 'version',
        log: postgres ? pgTransitionLog : sqliteTransitionLog,
        context,
      });
    }
  }
  @Injectable()
  class KeyStore extends DrizzleIdempotencyStore {
    constructor(@Inject(ORM_HANDLE) { db, postgres }: DrizzleHandle) {
      super(db, postgres ? pgIdempotencyKeys : sqliteIdempotencyKeys);
    }
  }
  @Injectable()
  class OutboxStoreOnDrizzle extends DrizzleOutboxStore {
    constructor(@Inject(ORM_HANDLE) { db }: DrizzleHandle) {
      super(db);
    }
  }
  return {
    order: OrderStore as unknown as OrmStores['order'],
    keys: KeyStore,
    outbox: OutboxStoreOnDrizzle,
    handle: (db): Promise<DrizzleHandle> =>
      Promise.resolve(
        'postgres' in db
          ? { db: pgDrizzle(new pg.Pool({ connectionString: db.postgres })), postgres: true }
          : { db: sqliteDrizzle(new Database(db.sqlite, { timeout: 50 })), postgres: false },
      ),
    writer: (handle) => async (tx, n) => {
      const insert = sql`INSERT INTO notifications ("orderId", event, "transitionId", text) VALUES (${n.orderId}, ${n.event}, ${n.transitionId}, ${n.text})`;
      if ((handle as DrizzleHandle).postgres) {
        await (tx as ReturnType<typeof pgDrizzle>).execute(insert);
      } else (tx as ReturnType<typeof sqliteDrizzle>).run(insert);
    },
  };
}

/** The orders table as a MikroORM entity (the columns the store reads and writes). */
const MikroOrder = new EntitySchema<Omit<Order, 'createdAt' | 'updatedAt'>>({
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
    handle: async (db) =>
      (
        await ('postgres' in db
          ? MikroORM.init({
              driver: PostgreSqlDriver,
              clientUrl: db.postgres,
              entities,
              allowGlobalContext: true,
            })
          : MikroORM.init({
              driver: BetterSqliteDriver,
              dbName: db.sqlite,
              entities,
              allowGlobalContext: true,
            }))
      ).em,
    writer: () => async (tx, n) => {
      const em = tx as EntityManager;
      await em.getConnection().execute(
        INSERT_NOTIFICATION(() => '?'),
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
