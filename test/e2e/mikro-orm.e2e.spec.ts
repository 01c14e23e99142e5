import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import {
  IdempotencyKeySchema,
  MikroOrmIdempotencyStore,
  MikroOrmTransitionStore,
  TransitionLogSchema,
  type MikroOrmEntityManagerLike,
} from '../../src/store/mikro-orm/index.js';
import type { OrderContext } from '../../machines/order.machine.js';
import { mikroOrders, type OrderRow } from '../support/order-schemas.js';
import { freshDatabase } from '../support/pg-database.js';
import { runsOn } from '../support/databases.js';
import { createPostgresTables, createSqliteFile, orderTables } from '../support/store-tables.js';
import { describeStoreBehindGuard, storeOrdersModule } from './apps/store-orders-app.js';

/**
 * The MikroORM 6 stores behind the guard, on a SQLite file and on PostgreSQL. The app injects
 * the ORM's EntityManager (in an app with @mikro-orm/nestjs, the request-scoped one).
 */
const entities = [mikroOrders, TransitionLogSchema, IdempotencyKeySchema];

const EM = Symbol('entity manager');

function underTest(orm: MikroORM, breakDatabase: () => Promise<void>, close: () => Promise<void>) {
  @Injectable()
  class OrderStore extends MikroOrmTransitionStore<OrderRow, OrderContext> {
    constructor(@Inject(EM) em: MikroOrmEntityManagerLike) {
      super(em, {
        entity: 'Order',
        stateProperty: 'status',
        versionProperty: 'version',
        log: true,
        context: (o) => ({ total: o.total, paid: o.paid }),
      });
    }
  }
  @Injectable()
  class KeyStore extends MikroOrmIdempotencyStore {
    constructor(@Inject(EM) em: MikroOrmEntityManagerLike) {
      super(em);
    }
  }
  const sql = orm.em.getConnection();
  return {
    module: storeOrdersModule({
      orderStore: OrderStore,
      keyStore: KeyStore,
      providers: [{ provide: EM, useValue: orm.em }],
    }),
    async newOrder(total: number) {
      const rows = await sql.execute<{ id: number }[]>(
        "INSERT INTO orders (status, total, paid, version) VALUES ('pending', ?, 0, 0) RETURNING id",
        [total],
      );
      return String(rows[0].id);
    },
    async row(id: string) {
      const rows = await sql.execute<Record<string, unknown>[]>(
        'SELECT status, paid, version FROM orders WHERE id = ?',
        [Number(id)],
      );
      return rows[0];
    },
    async logCount(id: string) {
      const rows = await sql.execute<{ n: number | string }[]>(
        'SELECT count(*) AS n FROM transition_log WHERE "resourceId" = ?',
        [id],
      );
      return Number(rows[0].n);
    },
    breakDatabase,
    close,
  };
}

describeStoreBehindGuard('MikroORM stores behind the guard, on SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-mikro-e2e-'));
  const file = join(dir, 'app.sqlite');
  createSqliteFile(file, orderTables);
  const orm = await MikroORM.init({
    driver: BetterSqliteDriver,
    dbName: file,
    entities,
    allowGlobalContext: true,
  });
  let closed = false;
  const stop = async () => {
    if (!closed) await orm.close(true);
    closed = true;
  };
  return underTest(orm, stop, async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });
});

if (runsOn('postgres')) {
  describeStoreBehindGuard('MikroORM stores behind the guard, on PostgreSQL', async () => {
    const database = await freshDatabase('tg_mikro_e2e');
    if (!database) throw new Error('no PostgreSQL server');
    await createPostgresTables(database.url, orderTables);
    const orm = await MikroORM.init({
      driver: PostgreSqlDriver,
      clientUrl: database.url,
      entities,
      allowGlobalContext: true,
      pool: { min: 0, max: 10 },
    });
    let closed = false;
    const stop = async () => {
      if (!closed) await orm.close(true);
      closed = true;
    };
    return underTest(orm, stop, async () => {
      await stop();
      await database.stop();
    });
  });
}
