import 'reflect-metadata';
import { Inject, Injectable, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MikroORM } from '@mikro-orm/core';
import { MariaDbDriver } from '@mikro-orm/mariadb';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaPg } from '@prisma/adapter-pg';
import { drizzle as mysqlDrizzle } from 'drizzle-orm/mysql2';
import { drizzle } from 'drizzle-orm/node-postgres';
import mysql from 'mysql2';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { IdempotencyStore, TransitionStore } from '../../../src/store/index.js';
import {
  DrizzleIdempotencyStore,
  DrizzleTransitionStore,
  type DrizzleDatabase,
} from '../../../src/store/drizzle/index.js';
import {
  IdempotencyKeySchema,
  MikroOrmIdempotencyStore,
  MikroOrmTransitionStore,
  TransitionLogSchema,
  type MikroOrmEntityManagerLike,
} from '../../../src/store/mikro-orm/index.js';
import {
  PrismaIdempotencyStore,
  PrismaTransitionStore,
  type PrismaClientLike,
} from '../../../src/store/prisma/index.js';
import {
  IdempotencyKeyEntry,
  TransitionLogEntry,
  TypeOrmIdempotencyStore,
  TypeOrmTransitionStore,
} from '../../../src/store/typeorm/index.js';
import type { OrderContext } from '../../../machines/order.machine.js';
import {
  mikroOrders,
  mysqlOrders,
  pgOrders,
  typeormOrders,
  type OrderRow,
} from '../../support/order-schemas.js';
import { requireGeneratedClient } from '../../support/prisma-client.js';
import { storeOrdersModule } from '../../e2e/apps/store-orders-app.js';

/**
 * The e2e orders app (PAY behind the guard, committed by the store with compare-and-set) in a
 * process of its own, on PostgreSQL or MySQL (DATABASE_URL postgres:// or mysql://, tables
 * created) with the store of ORM=typeorm|prisma|drizzle|mikro-orm: what the multi-process race
 * runs several of. Prints "orders-api on <url>" once it listens.
 */
const DB = Symbol('database');
const url = process.env.DATABASE_URL ?? '';
const onMysql = url.startsWith('mysql://');
const provider = onMysql ? 'mysql' : 'postgresql';
/** A pool's errors (a server restarting) are logged, never a crash. */
const logErrors = (pool: { on(e: 'error', f: (err: Error) => void): unknown }) =>
  pool.on('error', (err) => console.error(`pool: ${err.message}`));
const context = (o: OrderRow): OrderContext => ({ total: o.total, paid: o.paid });

type Stores = {
  handle: unknown;
  orderStore: Type<TransitionStore<OrderContext, { paid?: number }>>;
  keyStore: Type<IdempotencyStore>;
};

async function typeOrm(): Promise<Stores> {
  const handle = await new DataSource({
    type: onMysql ? 'mysql' : 'postgres',
    url,
    entities: [typeormOrders, TransitionLogEntry, IdempotencyKeyEntry],
  }).initialize();
  @Injectable()
  class OrderStore extends TypeOrmTransitionStore<OrderRow, OrderContext> {
    constructor(@Inject(DB) ds: DataSource) {
      super(ds, {
        entity: typeormOrders,
        stateProperty: 'status',
        versionProperty: 'version',
        log: true,
        context,
      });
    }
  }
  @Injectable()
  class KeyStore extends TypeOrmIdempotencyStore {
    constructor(@Inject(DB) ds: DataSource) {
      super(ds);
    }
  }
  return { handle, orderStore: OrderStore, keyStore: KeyStore };
}

function prisma(): Stores {
  const Client = requireGeneratedClient(provider);
  let adapter;
  if (onMysql) adapter = new PrismaMariaDb(url.replace(/^mysql:/, 'mariadb:'));
  else {
    const pool = new pg.Pool({ connectionString: url });
    logErrors(pool);
    adapter = new PrismaPg(pool);
  }
  const handle = new Client({ adapter });
  @Injectable()
  class OrderStore extends PrismaTransitionStore<OrderRow, OrderContext> {
    constructor(@Inject(DB) client: PrismaClientLike) {
      super(client, {
        provider,
        table: 'orders',
        stateProperty: 'status',
        versionProperty: 'version',
        log: true,
        context,
      });
    }
  }
  @Injectable()
  class KeyStore extends PrismaIdempotencyStore {
    constructor(@Inject(DB) client: PrismaClientLike) {
      super(client, provider);
    }
  }
  return { handle, orderStore: OrderStore, keyStore: KeyStore };
}

function drizzleStores(): Stores {
  let handle: DrizzleDatabase;
  if (onMysql) {
    const pool = mysql.createPool({ uri: url });
    logErrors(pool);
    handle = mysqlDrizzle(pool);
  } else {
    const pool = new pg.Pool({ connectionString: url });
    logErrors(pool);
    handle = drizzle(pool);
  }
  @Injectable()
  class OrderStore extends DrizzleTransitionStore<typeof pgOrders, OrderContext> {
    constructor(@Inject(DB) db: DrizzleDatabase) {
      super(db, {
        table: (onMysql ? mysqlOrders : pgOrders) as typeof pgOrders,
        stateProperty: 'status',
        versionProperty: 'version',
        log: true,
        context,
      });
    }
  }
  @Injectable()
  class KeyStore extends DrizzleIdempotencyStore {
    constructor(@Inject(DB) db: DrizzleDatabase) {
      super(db);
    }
  }
  return { handle, orderStore: OrderStore, keyStore: KeyStore };
}

async function mikroOrm(): Promise<Stores> {
  const orm = await MikroORM.init({
    driver: onMysql ? MariaDbDriver : PostgreSqlDriver,
    clientUrl: url,
    entities: [mikroOrders, TransitionLogSchema, IdempotencyKeySchema],
    allowGlobalContext: true,
  } as Parameters<typeof MikroORM.init>[0]);
  @Injectable()
  class OrderStore extends MikroOrmTransitionStore<OrderRow, OrderContext> {
    constructor(@Inject(DB) em: MikroOrmEntityManagerLike) {
      super(em, {
        entity: 'Order',
        stateProperty: 'status',
        versionProperty: 'version',
        log: true,
        context,
      });
    }
  }
  @Injectable()
  class KeyStore extends MikroOrmIdempotencyStore {
    constructor(@Inject(DB) em: MikroOrmEntityManagerLike) {
      super(em);
    }
  }
  return { handle: orm.em, orderStore: OrderStore, keyStore: KeyStore };
}

const builders: Record<string, () => Stores | Promise<Stores>> = {
  typeorm: typeOrm,
  prisma,
  drizzle: drizzleStores,
  'mikro-orm': mikroOrm,
};
const build = builders[process.env.ORM ?? 'typeorm'];
if (!build) throw new Error(`ORM must be one of ${Object.keys(builders).join(', ')}`);
const stores = await build();
const module = storeOrdersModule({
  orderStore: stores.orderStore,
  keyStore: stores.keyStore,
  providers: [{ provide: DB, useValue: stores.handle }],
});
const app = await NestFactory.create(module, { logger: ['error'] });
app.enableShutdownHooks();
// Idle keep-alive sockets stay open longer than clients keep them (Node closes them after 5 s:
// a client reusing one just as it closes gets 'socket hang up').
(app.getHttpServer() as { keepAliveTimeout: number }).keepAliveTimeout = 65_000;
await app.listen(0, '127.0.0.1');
console.log(`orders-api on ${(await app.getUrl()).replace('[::1]', '127.0.0.1')}`);
