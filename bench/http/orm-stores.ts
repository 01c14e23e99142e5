import { Inject, Injectable, type Provider } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { MariaDbDriver } from '@mikro-orm/mariadb';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaPg } from '@prisma/adapter-pg';
import Database from 'better-sqlite3';
import { drizzle as sqliteDrizzle } from 'drizzle-orm/better-sqlite3';
import { drizzle as mysqlDrizzle } from 'drizzle-orm/mysql2';
import { drizzle as pgDrizzle } from 'drizzle-orm/node-postgres';
import mysql from 'mysql2';
import pg from 'pg';
import { defineResource } from '../../src/index.js';
import { DrizzleTransitionStore, type DrizzleDatabase } from '../../src/store/drizzle/index.js';
import {
  MikroOrmTransitionStore,
  type MikroOrmEntityManagerLike,
} from '../../src/store/mikro-orm/index.js';
import {
  PrismaTransitionStore,
  type PrismaClientLike,
  type PrismaProvider,
} from '../../src/store/prisma/index.js';
import { orderMachine, orderPayloads } from '../../machines/order.machine.js';
import {
  mikroOrders,
  mysqlOrders,
  pgOrders,
  sqliteOrders,
  type OrderRow,
} from '../../test/support/order-schemas.js';
import { requireGeneratedClient } from '../../test/support/prisma-client.js';

/**
 * The bench's orders through the other store adapters, on the same table and database as the
 * TypeORM store of route (a): the same PAY route, committed by a Drizzle, Prisma or MikroORM
 * store (no transition log, as (a)). The Prisma client must have been generated
 * (`generatedClient()` in the process that starts the app).
 */
const DRIZZLE = Symbol('drizzle');
const PRISMA = Symbol('prisma');
const MIKRO = Symbol('mikro-orm');

type Context = { total: number; paid: number };
/** What the machine reads: the load selects these (and the id, state, version) alone. */
const contextProperties = ['total', 'paid'] as const;

@Injectable()
class DrizzleOrderStore extends DrizzleTransitionStore<typeof pgOrders, Context> {
  constructor(@Inject(DRIZZLE) h: { db: DrizzleDatabase; table: typeof pgOrders }) {
    // One class for both dialects: the table is the dialect's (its columns are the same).
    super(h.db, {
      table: h.table,
      name: 'order',
      stateProperty: 'status',
      versionProperty: 'version',
      contextProperties,
    });
  }
}

@Injectable()
class PrismaOrderStore extends PrismaTransitionStore<OrderRow, Context> {
  constructor(@Inject(PRISMA) h: { client: PrismaClientLike; provider: PrismaProvider }) {
    super(h.client, {
      provider: h.provider,
      table: 'orders',
      name: 'order',
      stateProperty: 'status',
      versionProperty: 'version',
      contextProperties,
    });
  }
}

@Injectable()
class MikroOrderStore extends MikroOrmTransitionStore<OrderRow, Context> {
  constructor(@Inject(MIKRO) em: MikroOrmEntityManagerLike) {
    super(em, {
      entity: 'Order',
      name: 'order',
      stateProperty: 'status',
      versionProperty: 'version',
      contextProperties,
    });
  }
}

export const orderDrizzle = defineResource({
  resource: 'order-drizzle',
  machine: orderMachine,
  store: DrizzleOrderStore,
  payloads: orderPayloads,
});
export const orderPrisma = defineResource({
  resource: 'order-prisma',
  machine: orderMachine,
  store: PrismaOrderStore,
  payloads: orderPayloads,
});
export const orderMikro = defineResource({
  resource: 'order-mikro',
  machine: orderMachine,
  store: MikroOrderStore,
  payloads: orderPayloads,
});

/** The ORM handles on `database` (after TypeORM created the table), as the stores' providers. */
export async function ormProviders(
  database: { sqlite: string } | { postgres: string } | { mysql: string },
): Promise<Provider[]> {
  if ('mysql' in database) {
    const url = database.mysql;
    const Prisma = requireGeneratedClient('mysql');
    const mikro = await MikroORM.init({
      driver: MariaDbDriver,
      clientUrl: url,
      entities: [mikroOrders],
      allowGlobalContext: true,
    });
    return [
      {
        provide: DRIZZLE,
        useValue: {
          db: mysqlDrizzle(mysql.createPool({ uri: url })),
          table: mysqlOrders as unknown as typeof pgOrders,
        },
      },
      {
        provide: PRISMA,
        useValue: {
          client: new Prisma({ adapter: new PrismaMariaDb(url.replace(/^mysql:/, 'mariadb:')) }),
          provider: 'mysql',
        },
      },
      { provide: MIKRO, useValue: mikro.em },
    ];
  }
  if ('postgres' in database) {
    const url = database.postgres;
    const Prisma = requireGeneratedClient('postgresql');
    const mikro = await MikroORM.init({
      driver: PostgreSqlDriver,
      clientUrl: url,
      entities: [mikroOrders],
      allowGlobalContext: true,
    });
    return [
      {
        provide: DRIZZLE,
        useValue: { db: pgDrizzle(new pg.Pool({ connectionString: url })), table: pgOrders },
      },
      {
        provide: PRISMA,
        useValue: {
          client: new Prisma({ adapter: new PrismaPg(new pg.Pool({ connectionString: url })) }),
          provider: 'postgresql',
        },
      },
      { provide: MIKRO, useValue: mikro.em },
    ];
  }
  const file = database.sqlite;
  const Prisma = requireGeneratedClient('sqlite');
  const mikro = await MikroORM.init({
    driver: BetterSqliteDriver,
    dbName: file,
    entities: [mikroOrders],
    allowGlobalContext: true,
  });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  return [
    {
      provide: DRIZZLE,
      useValue: { db: sqliteDrizzle(sqlite), table: sqliteOrders as unknown as typeof pgOrders },
    },
    {
      provide: PRISMA,
      useValue: {
        client: new Prisma({ adapter: new PrismaBetterSqlite3({ url: `file:${file}` }) }),
        provider: 'sqlite',
      },
    },
    { provide: MIKRO, useValue: mikro.em },
  ];
}
