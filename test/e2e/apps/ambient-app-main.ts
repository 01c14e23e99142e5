import 'reflect-metadata';
import { Inject, Injectable } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterDrizzleOrm } from '@nestjs-cls/transactional-adapter-drizzle-orm';
import { TransactionalAdapterPrisma } from '@nestjs-cls/transactional-adapter-prisma';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaPg } from '@prisma/adapter-pg';
import { sql } from 'drizzle-orm';
import { drizzle as mysqlDrizzle } from 'drizzle-orm/mysql2';
import { drizzle } from 'drizzle-orm/node-postgres';
import mysql from 'mysql2';
import pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { withTransitionHooks } from '../../../src/index.js';
import { type TransactionHostLike } from '../../../src/store/index.js';
import {
  DrizzleIdempotencyStore,
  DrizzleTransitionStore,
  type DrizzleDatabase,
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
import {
  mysqlOrders,
  pgOrders,
  typeormOrders,
  type OrderRow,
} from '../../support/order-schemas.js';
import { requireGeneratedClient } from '../../support/prisma-client.js';
import { rawSql } from '../../support/raw-sql.js';
import { ambientOrdersModule } from './ambient-orders-app.js';

/**
 * The ambient-transaction orders app in a process of its own (`@nestjs-cls/transactional` is
 * CommonJS requiring the ESM-only NestJS 12, which Node 20.19 does and Jest's module loader does
 * not). ORM=typeorm|prisma|drizzle on SQLITE_FILE or DATABASE_URL (PostgreSQL or MySQL, tables
 * created);
 * WRAPPED=0 leaves the adapter unwrapped. Prints "orders-api on <url>" once it listens.
 */
const DB = Symbol('database');
const env = process.env;
const url = env.DATABASE_URL ?? '';
const kind = url.startsWith('mysql://') ? 'mysql' : url ? 'postgres' : 'sqlite';
const p = (n: number) => (kind === 'postgres' ? `$${n}` : '?');

/** Reads the committed status of an order over a connection of its own. */
function committedReader(): (id: string) => Promise<string | undefined> {
  const reader = rawSql(kind, kind === 'sqlite' ? (env.SQLITE_FILE ?? '') : url);
  return async (id) =>
    (
      await reader.query<{ status: string }>(
        `SELECT status FROM orders WHERE id = ${reader.p(1)}`,
        [Number(id)],
      )
    )[0]?.status;
}

async function typeOrm() {
  const dataSource = await new DataSource({
    ...(kind === 'postgres'
      ? { type: 'postgres' as const, url }
      : kind === 'mysql'
        ? { type: 'mysql' as const, url }
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
  const provider = kind === 'postgres' ? 'postgresql' : kind;
  const Client = requireGeneratedClient(provider);
  const client = new Client({
    adapter:
      kind === 'postgres'
        ? new PrismaPg(new pg.Pool({ connectionString: url, max: 5 }))
        : kind === 'mysql'
          ? new PrismaMariaDb(url.replace(/^mysql:/, 'mariadb:'))
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
    adapter: new TransactionalAdapterPrisma({
      prismaInjectionToken: DB,
      sqlFlavor: provider === 'mysql' ? 'mysql' : provider,
    }),
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

function drizzleOnServer() {
  if (kind === 'sqlite') throw new Error('ORM=drizzle runs on a server (DATABASE_URL)');
  const db: DrizzleDatabase =
    kind === 'postgres'
      ? drizzle(new pg.Pool({ connectionString: url, max: 5 }))
      : mysqlDrizzle(mysql.createPool({ uri: url, connectionLimit: 5 }));
  @Injectable()
  class OrderStore extends DrizzleTransitionStore<typeof pgOrders, OrderContext> {
    constructor(
      @Inject(DB) db: DrizzleDatabase,
      @Inject(TransactionHost) txHost: TransactionHostLike<unknown>,
    ) {
      super(db, {
        table: (kind === 'mysql' ? mysqlOrders : pgOrders) as typeof pgOrders,
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
  class KeyStore extends DrizzleIdempotencyStore {
    constructor(@Inject(DB) db: DrizzleDatabase) {
      super(db);
    }
  }
  return {
    handle: db,
    adapter: new TransactionalAdapterDrizzleOrm({ drizzleInstanceToken: DB }),
    orderStore: OrderStore,
    keyStore: KeyStore,
    writeNote: async (tx: unknown, id: string) => {
      await (tx as { execute(q: unknown): Promise<unknown> }).execute(
        sql`INSERT INTO order_notes (order_id) VALUES (${Number(id)})`,
      );
    },
  };
}

const orm =
  env.ORM === 'prisma' ? prisma() : env.ORM === 'drizzle' ? drizzleOnServer() : await typeOrm();
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
// Idle keep-alive sockets stay open longer than clients keep them (Node closes them after 5 s:
// a client reusing one just as it closes gets 'socket hang up').
(app.getHttpServer() as { keepAliveTimeout: number }).keepAliveTimeout = 65_000;
await app.listen(0, '127.0.0.1');
console.log(`orders-api on ${(await app.getUrl()).replace('[::1]', '127.0.0.1')}`);
