import 'reflect-metadata';
import { Inject, Injectable } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterDrizzleOrm } from '@nestjs-cls/transactional-adapter-drizzle-orm';
import { TransactionalAdapterPrisma } from '@nestjs-cls/transactional-adapter-prisma';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { withTransitionHooks } from '../../../src/index.js';
import { type TransactionHostLike } from '../../../src/store/index.js';
import {
  DrizzleIdempotencyStore,
  DrizzleTransitionStore,
  pgIdempotencyKeys,
  pgTransitionLog,
} from '../../../src/store/drizzle/index.js';
import {
  PrismaIdempotencyStore,
  PrismaTransitionStore,
  type PrismaClientLike,
  type PrismaQueries,
} from '../../../src/store/prisma/index.js';
import {
  IdempotencyKeyEntry,
  TransitionLogEntry,
  TypeOrmIdempotencyStore,
  TypeOrmTransitionStore,
} from '../../../src/store/typeorm/index.js';
import type { OrderContext } from '../../../machines/order.machine.js';
import { pgOrders, typeormOrders, type OrderRow } from '../../support/order-schemas.js';
import { requireGeneratedClient } from '../../support/prisma-client.js';
import { ambientOrdersModule } from './ambient-orders-app.js';

/**
 * The ambient-transaction orders app in a process of its own (`@nestjs-cls/transactional` is
 * CommonJS requiring the ESM-only NestJS 12, which Node 20.19 does and Jest's module loader does
 * not). ORM=typeorm|prisma|drizzle on SQLITE_FILE or DATABASE_URL (PostgreSQL, tables created);
 * WRAPPED=0 leaves the adapter unwrapped. Prints "orders-api on <url>" once it listens.
 */
const DB = Symbol('database');
const env = process.env;
const postgres = env.DATABASE_URL !== undefined;
const p = (n: number) => (postgres ? `$${n}` : '?');

/** Reads the committed status of an order over a connection of its own. */
function committedReader(): (id: string) => Promise<string | undefined> {
  const query = `SELECT status FROM orders WHERE id = ${p(1)}`;
  if (postgres) {
    const reader = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 });
    return async (id) =>
      (await reader.query<{ status: string }>(query, [Number(id)])).rows[0]?.status;
  }
  const reader = new Database(env.SQLITE_FILE ?? '');
  const read = reader.prepare<[number], { status: string }>(query);
  return (id) => Promise.resolve(read.get(Number(id))?.status);
}

async function typeOrm() {
  const dataSource = await new DataSource({
    ...(postgres
      ? { type: 'postgres' as const, url: env.DATABASE_URL }
      : { type: 'better-sqlite3' as const, database: env.SQLITE_FILE ?? '' }),
    entities: [typeormOrders, TransitionLogEntry, IdempotencyKeyEntry],
  }).initialize();
  @Injectable()
  class OrderStore extends TypeOrmTransitionStore<OrderRow, OrderContext> {
    constructor(
      @Inject(DB) ds: DataSource,
      @Inject(TransactionHost) txHost: TransactionHostLike<EntityManager>,
    ) {
      super(ds, {
        entity: typeormOrders,
        stateProperty: 'status',
        versionProperty: 'version',
        log: true,
        name: 'order',
        context: (o) => ({ total: o.total, paid: o.paid }),
        transactionHost: txHost,
      });
    }
  }
  @Injectable()
  class KeyStore extends TypeOrmIdempotencyStore {
    constructor(@Inject(DB) ds: DataSource) {
      super(ds);
    }
  }
  return {
    handle: dataSource,
    adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: DB }),
    orderStore: OrderStore,
    keyStore: KeyStore,
    writeNote: async (tx: unknown, id: string) => {
      await (tx as EntityManager).query(`INSERT INTO order_notes (order_id) VALUES (${p(1)})`, [
        Number(id),
      ]);
    },
  };
}

function prisma() {
  const provider = postgres ? 'postgresql' : 'sqlite';
  const Client = requireGeneratedClient(provider);
  const client = new Client({
    adapter: postgres
      ? new PrismaPg(new pg.Pool({ connectionString: env.DATABASE_URL, max: 5 }))
      : new PrismaBetterSqlite3({ url: `file:${env.SQLITE_FILE ?? ''}` }),
  });
  @Injectable()
  class OrderStore extends PrismaTransitionStore<OrderRow, OrderContext> {
    constructor(
      @Inject(DB) client: PrismaClientLike,
      @Inject(TransactionHost) txHost: TransactionHostLike<PrismaQueries>,
    ) {
      super(client, {
        provider,
        table: 'orders',
        stateProperty: 'status',
        versionProperty: 'version',
        log: true,
        name: 'order',
        context: (o) => ({ total: o.total, paid: o.paid }),
        transactionHost: txHost,
      });
    }
  }
  @Injectable()
  class KeyStore extends PrismaIdempotencyStore {
    constructor(@Inject(DB) client: PrismaClientLike) {
      super(client, provider);
    }
  }
  return {
    handle: client,
    // sqlFlavor: Propagation.Nested as a savepoint (without it, the adapter opens a new transaction).
    adapter: new TransactionalAdapterPrisma({ prismaInjectionToken: DB, sqlFlavor: provider }),
    orderStore: OrderStore,
    keyStore: KeyStore,
    writeNote: async (tx: unknown, id: string) => {
      await (tx as PrismaQueries).$executeRawUnsafe(
        `INSERT INTO order_notes (order_id) VALUES (${p(1)})`,
        Number(id),
      );
    },
  };
}

function drizzlePostgres() {
  if (!postgres) throw new Error('ORM=drizzle runs on PostgreSQL (DATABASE_URL)');
  const db = drizzle(new pg.Pool({ connectionString: env.DATABASE_URL, max: 5 }));
  @Injectable()
  class OrderStore extends DrizzleTransitionStore<typeof pgOrders, OrderContext> {
    constructor(
      @Inject(DB) db: NodePgDatabase,
      @Inject(TransactionHost) txHost: TransactionHostLike<unknown>,
    ) {
      super(db, {
        table: pgOrders,
        stateProperty: 'status',
        versionProperty: 'version',
        log: pgTransitionLog,
        name: 'order',
        context: (o) => ({ total: o.total, paid: o.paid }),
        transactionHost: txHost,
      });
    }
  }
  @Injectable()
  class KeyStore extends DrizzleIdempotencyStore {
    constructor(@Inject(DB) db: NodePgDatabase) {
      super(db, pgIdempotencyKeys);
    }
  }
  return {
    handle: db,
    adapter: new TransactionalAdapterDrizzleOrm({ drizzleInstanceToken: DB }),
    orderStore: OrderStore,
    keyStore: KeyStore,
    writeNote: async (tx: unknown, id: string) => {
      await (tx as NodePgDatabase).execute(
        sql`INSERT INTO order_notes (order_id) VALUES (${Number(id)})`,
      );
    },
  };
}

const orm =
  env.ORM === 'prisma' ? prisma() : env.ORM === 'drizzle' ? drizzlePostgres() : await typeOrm();
const module = ambientOrdersModule({
  providers: [{ provide: DB, useValue: orm.handle }],
  adapter: env.WRAPPED === '0' ? orm.adapter : withTransitionHooks(orm.adapter),
  orderStore: orm.orderStore,
  keyStore: orm.keyStore,
  writeNote: orm.writeNote,
  committedStatus: committedReader(),
});
const app = await NestFactory.create(module, { logger: ['error'] });
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
console.log(`orders-api on ${(await app.getUrl()).replace('[::1]', '127.0.0.1')}`);
