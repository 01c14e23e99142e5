import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import Database from 'better-sqlite3';
import { count, eq } from 'drizzle-orm';
import { drizzle as sqliteDrizzle } from 'drizzle-orm/better-sqlite3';
import { drizzle as pgDrizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import {
  DrizzleIdempotencyStore,
  DrizzleTransitionStore,
  pgIdempotencyKeys,
  pgTransitionLog,
  sqliteIdempotencyKeys,
  sqliteTransitionLog,
  type DrizzleDatabase,
} from '../../src/store/drizzle/index.js';
import type { OrderContext } from '../../machines/order.machine.js';
import { pgOrders, sqliteOrders } from '../support/order-schemas.js';
import { freshDatabase } from '../support/pg-database.js';
import { runsOn } from '../support/databases.js';
import { createPostgresTables, createSqliteFile, orderTables } from '../support/store-tables.js';
import { describeStoreBehindGuard, storeOrdersModule } from './apps/store-orders-app.js';

/** The Drizzle stores behind the guard, on a SQLite file and on PostgreSQL. */
/** The tables of one dialect; typed as SQLite's, since their columns are the same. */
interface Tables {
  readonly orders: typeof sqliteOrders;
  readonly log: typeof sqliteTransitionLog;
  readonly keys: typeof sqliteIdempotencyKeys;
}

const DB = Symbol('drizzle database');

function underTest(
  db: DrizzleDatabase,
  tables: Tables,
  breakDatabase: () => Promise<void>,
  close: () => Promise<void>,
) {
  @Injectable()
  class OrderStore extends DrizzleTransitionStore<typeof sqliteOrders, OrderContext> {
    constructor(@Inject(DB) database: DrizzleDatabase) {
      super(database, {
        table: tables.orders,
        stateProperty: 'status',
        versionProperty: 'version',
        log: tables.log,
        context: (o) => ({ total: o.total, paid: o.paid }),
      });
    }
  }
  @Injectable()
  class KeyStore extends DrizzleIdempotencyStore {
    constructor(@Inject(DB) database: DrizzleDatabase) {
      super(database, tables.keys);
    }
  }
  // Drizzle's builders are typed per dialect; the tests read through SQLite's types.
  const q = db as unknown as ReturnType<typeof sqliteDrizzle>;
  return {
    module: storeOrdersModule({
      orderStore: OrderStore,
      keyStore: KeyStore,
      providers: [{ provide: DB, useValue: db }],
    }),
    async newOrder(total: number) {
      const rows = await q
        .insert(tables.orders)
        .values({ status: 'pending', total, paid: 0, version: 0 })
        .returning();
      return String(rows[0].id);
    },
    async row(id: string) {
      return (
        await q
          .select()
          .from(tables.orders)
          .where(eq(tables.orders.id, Number(id)))
      )[0];
    },
    async logCount(id: string) {
      const [{ n }] = await q
        .select({ n: count() })
        .from(tables.log)
        .where(eq(tables.log.resourceId, id));
      return n;
    },
    breakDatabase,
    close,
  };
}

describeStoreBehindGuard('Drizzle stores behind the guard, on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-drizzle-e2e-'));
  createSqliteFile(join(dir, 'app.sqlite'), orderTables);
  const client = new Database(join(dir, 'app.sqlite'));
  const stop = () => {
    if (client.open) client.close();
    return Promise.resolve();
  };
  return Promise.resolve(
    underTest(
      sqliteDrizzle(client),
      { orders: sqliteOrders, log: sqliteTransitionLog, keys: sqliteIdempotencyKeys },
      stop,
      async () => {
        await stop();
        rmSync(dir, { recursive: true, force: true });
      },
    ),
  );
});

if (runsOn('postgres')) {
  describeStoreBehindGuard('Drizzle stores behind the guard, on PostgreSQL', async () => {
    const database = await freshDatabase('tg_drizzle_e2e');
    if (!database) throw new Error('no PostgreSQL server');
    const pool = new pg.Pool({ connectionString: database.url, max: 10 });
    await createPostgresTables(database.url, orderTables);
    let ended = false;
    const stop = async () => {
      if (!ended) await pool.end();
      ended = true;
    };
    return underTest(
      pgDrizzle(pool),
      {
        orders: pgOrders as unknown as typeof sqliteOrders,
        log: pgTransitionLog as unknown as typeof sqliteTransitionLog,
        keys: pgIdempotencyKeys as unknown as typeof sqliteIdempotencyKeys,
      },
      stop,
      async () => {
        await stop();
        await database.stop();
      },
    );
  });
}
