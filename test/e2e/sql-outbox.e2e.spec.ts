import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Global, Inject, Injectable, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MikroORM, type EntityManager as MikroEntityManager } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import {
  defineResource,
  OnTransition,
  TransitionGuardModule,
  TransitionOutbox,
  TransitionService,
  type TransitionDelivery,
} from '../../src/index.js';
import { type OutboxStore, type TransitionStore } from '../../src/store/index.js';
import {
  DrizzleOutboxStore,
  DrizzleTransitionStore,
  type DrizzleDatabase,
} from '../../src/store/drizzle/index.js';
import {
  MikroOrmOutboxStore,
  MikroOrmTransitionStore,
  TransitionLogSchema,
  type MikroOrmEntityManagerLike,
} from '../../src/store/mikro-orm/index.js';
import {
  PrismaOutboxStore,
  PrismaTransitionStore,
  type PrismaClientLike,
  type PrismaQueries,
} from '../../src/store/prisma/index.js';
import { orderMachine, orderPayloads, type OrderContext } from '../../machines/order.machine.js';
import { mikroOrders, sqliteOrders, type OrderRow } from '../support/order-schemas.js';
import { generatedClient } from '../support/prisma-client.js';
import {
  createSqliteFile,
  orderTables,
  outboxLibraryTables,
  type Tables,
} from '../support/store-tables.js';

/**
 * `@OnTransition` on the Prisma, MikroORM and Drizzle stores: the module accepts their outbox store (it
 * writes in the transition store's transactions), a committed PAY is delivered once, and the
 * handler's `once()` write lands in the same database exactly once.
 */
const DB = Symbol('orm handle');
const tables: Tables = (d) => [
  ...orderTables(d),
  ...outboxLibraryTables(d),
  `CREATE TABLE notes (id ${d.serial}, "transitionId" varchar(36) NOT NULL, order_id varchar(20) NOT NULL)`,
];

async function deliversOnce(
  stores: { order: Type<TransitionStore<OrderContext>>; outbox: Type<OutboxStore> },
  handle: unknown,
  writeNote: (tx: unknown, d: TransitionDelivery) => Promise<void>,
  file: string,
) {
  const order = defineResource({
    resource: 'order',
    machine: orderMachine,
    store: stores.order,
    payloads: orderPayloads,
  });
  @Injectable()
  class Notifier {
    @OnTransition(order, { event: 'PAY' })
    async paid(delivery: TransitionDelivery) {
      await delivery.once((tx) => writeNote(tx, delivery));
    }
  }
  @Global()
  @Module({ providers: [{ provide: DB, useValue: handle }], exports: [DB] })
  class DatabaseModule {}
  @Module({
    imports: [
      DatabaseModule,
      TransitionGuardModule.forRoot({ outbox: { store: stores.outbox, relay: false } }),
      TransitionGuardModule.forFeature([order]),
    ],
    providers: [Notifier],
  })
  class AppModule {}
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  await app.init();
  const reader = new Database(file);
  try {
    const { id } = reader
      .prepare(
        `INSERT INTO orders (status, total, paid, version) VALUES ('pending', 100, 0, 0) RETURNING id`,
      )
      .get() as { id: number };
    await app
      .get(TransitionService)
      .send(order, String(id), { type: 'PAY', amount: 100 }, { changes: { paid: 100 } });
    const outbox = app.get(TransitionOutbox);
    const pending = await outbox.pending();
    expect(pending).toHaveLength(1);
    expect(await outbox.drain()).toMatchObject({ delivered: 1 });
    expect(await outbox.drain()).toMatchObject({ delivered: 0 });
    expect(reader.prepare('SELECT "transitionId", order_id FROM notes').all()).toEqual([
      { transitionId: pending[0].record.transitionId, order_id: String(id) },
    ]);
  } finally {
    reader.close();
    await app.close();
  }
}

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tg-sql-outbox-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('delivers a committed PAY once through PrismaOutboxStore (SQLite)', async () => {
  const file = join(dir, 'app.sqlite');
  createSqliteFile(file, tables);
  const Client = generatedClient('sqlite');
  const client = new Client({ adapter: new PrismaBetterSqlite3({ url: `file:${file}` }) });
  @Injectable()
  class OrderStore extends PrismaTransitionStore<OrderRow, OrderContext> {
    constructor(@Inject(DB) prisma: PrismaClientLike) {
      super(prisma, {
        provider: 'sqlite',
        table: 'orders',
        stateProperty: 'status',
        versionProperty: 'version',
        context: (o) => ({ total: o.total, paid: o.paid }),
      });
    }
  }
  @Injectable()
  class OutboxStore extends PrismaOutboxStore {
    constructor(@Inject(DB) prisma: PrismaClientLike) {
      super(prisma, 'sqlite');
    }
  }
  try {
    await deliversOnce(
      { order: OrderStore, outbox: OutboxStore },
      client,
      async (tx, d) => {
        await (tx as PrismaQueries).$executeRawUnsafe(
          'INSERT INTO notes ("transitionId", order_id) VALUES (?, ?)',
          d.transitionId,
          d.record.resourceId,
        );
      },
      file,
    );
  } finally {
    await client.$disconnect();
  }
});

it('delivers a committed PAY once through MikroOrmOutboxStore (SQLite)', async () => {
  const file = join(dir, 'app.sqlite');
  createSqliteFile(file, tables);
  const orm = await MikroORM.init({
    driver: BetterSqliteDriver,
    dbName: file,
    entities: [mikroOrders, TransitionLogSchema],
    allowGlobalContext: true,
  });
  @Injectable()
  class OrderStore extends MikroOrmTransitionStore<OrderRow, OrderContext> {
    constructor(@Inject(DB) em: MikroOrmEntityManagerLike) {
      super(em, {
        entity: 'Order',
        stateProperty: 'status',
        versionProperty: 'version',
        context: (o) => ({ total: o.total, paid: o.paid }),
      });
    }
  }
  @Injectable()
  class OutboxStore extends MikroOrmOutboxStore {
    constructor(@Inject(DB) em: MikroOrmEntityManagerLike) {
      super(em);
    }
  }
  try {
    await deliversOnce(
      { order: OrderStore, outbox: OutboxStore },
      orm.em,
      async (tx, d) => {
        const em = tx as MikroEntityManager;
        await em
          .getConnection()
          .execute(
            'INSERT INTO notes ("transitionId", order_id) VALUES (?, ?)',
            [d.transitionId, d.record.resourceId],
            'run',
            em.getTransactionContext(),
          );
      },
      file,
    );
  } finally {
    await orm.close(true);
  }
});

it('delivers a committed PAY once through DrizzleOutboxStore (SQLite)', async () => {
  const file = join(dir, 'app.sqlite');
  createSqliteFile(file, tables);
  const sqlite = new Database(file);
  const db = drizzle(sqlite);
  @Injectable()
  class OrderStore extends DrizzleTransitionStore<typeof sqliteOrders, OrderContext> {
    constructor(@Inject(DB) database: DrizzleDatabase) {
      super(database, {
        table: sqliteOrders,
        stateProperty: 'status',
        versionProperty: 'version',
        context: (o) => ({ total: o.total, paid: o.paid }),
      });
    }
  }
  @Injectable()
  class OutboxStore extends DrizzleOutboxStore {
    constructor(@Inject(DB) database: DrizzleDatabase) {
      super(database);
    }
  }
  try {
    await deliversOnce(
      { order: OrderStore, outbox: OutboxStore },
      db,
      (tx, d) => {
        // On SQLite the transaction's handle is the database itself, inside BEGIN ... COMMIT.
        (tx as typeof db).run(
          sql`INSERT INTO notes ("transitionId", order_id) VALUES (${d.transitionId}, ${d.record.resourceId})`,
        );
        return Promise.resolve();
      },
      file,
    );
  } finally {
    sqlite.close();
  }
});
