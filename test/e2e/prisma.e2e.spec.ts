import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Inject, Injectable } from '@nestjs/common';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import {
  PrismaIdempotencyStore,
  PrismaTransitionStore,
  type PrismaClientLike,
  type PrismaProvider,
} from '../../src/store/prisma/index.js';
import type { OrderContext } from '../../machines/order.machine.js';
import { freshDatabase } from '../support/pg-database.js';
import { runsOn } from '../support/databases.js';
import { generatedClient } from '../support/prisma-client.js';
import { createPostgresTables, createSqliteFile, orderTables } from '../support/store-tables.js';
import { describeStoreBehindGuard, storeOrdersModule } from './apps/store-orders-app.js';

/**
 * The Prisma stores behind the guard, through a real generated client (Prisma 7 with the
 * better-sqlite3 and pg driver adapters), on a SQLite file and on PostgreSQL.
 */
const PRISMA = Symbol('prisma client');

interface OrderRow {
  id: number;
  status: string;
  total: number;
  paid: number;
  version: number;
}

function underTest(
  provider: PrismaProvider,
  client: PrismaClientLike,
  breakDatabase: () => Promise<void>,
  close: () => Promise<void>,
) {
  @Injectable()
  class OrderStore extends PrismaTransitionStore<OrderRow, OrderContext> {
    constructor(@Inject(PRISMA) prisma: PrismaClientLike) {
      super(prisma, {
        provider,
        table: 'orders',
        stateProperty: 'status',
        versionProperty: 'version',
        log: true,
        context: (o) => ({ total: o.total, paid: o.paid }),
      });
    }
  }
  @Injectable()
  class KeyStore extends PrismaIdempotencyStore {
    constructor(@Inject(PRISMA) prisma: PrismaClientLike) {
      super(prisma, provider);
    }
  }
  const p = (n: number) => (provider === 'sqlite' ? '?' : `$${n}`);
  return {
    module: storeOrdersModule({
      orderStore: OrderStore,
      keyStore: KeyStore,
      providers: [{ provide: PRISMA, useValue: client }],
    }),
    async newOrder(total: number) {
      const rows = await client.$queryRawUnsafe<{ id: number | bigint }[]>(
        `INSERT INTO orders (status, total, paid, version) VALUES ('pending', ${p(1)}, 0, 0) RETURNING id`,
        total,
      );
      return String(rows[0].id);
    },
    async row(id: string) {
      const rows = await client.$queryRawUnsafe<Record<string, unknown>[]>(
        `SELECT status, paid, version FROM orders WHERE id = ${p(1)}`,
        Number(id),
      );
      return (
        rows[0] && Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, Number(v) || v]))
      );
    },
    async logCount(id: string) {
      const rows = await client.$queryRawUnsafe<{ n: number | bigint }[]>(
        `SELECT count(*) AS n FROM transition_log WHERE "resourceId" = ${p(1)}`,
        id,
      );
      return Number(rows[0].n);
    },
    breakDatabase,
    close,
  };
}

describeStoreBehindGuard('Prisma stores behind the guard, on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-prisma-e2e-'));
  const file = join(dir, 'app.sqlite');
  createSqliteFile(file, orderTables);
  const Client = generatedClient('sqlite');
  const client = new Client({ adapter: new PrismaBetterSqlite3({ url: `file:${file}` }) });
  return Promise.resolve(
    underTest(
      'sqlite',
      client,
      // Prisma reopens a disconnected SQLite file: the file itself goes bad.
      async () => {
        await client.$disconnect();
        for (const suffix of ['-wal', '-shm']) rmSync(file + suffix, { force: true });
        writeFileSync(file, 'not a database '.repeat(100));
      },
      async () => {
        await client.$disconnect();
        rmSync(dir, { recursive: true, force: true });
      },
    ),
  );
});

if (runsOn('postgres')) {
  describeStoreBehindGuard('Prisma stores behind the guard, on PostgreSQL', async () => {
    const database = await freshDatabase('tg_prisma_e2e');
    if (!database) throw new Error('no PostgreSQL server');
    const pool = new pg.Pool({ connectionString: database.url, max: 10 });
    await createPostgresTables(database.url, orderTables);
    const Client = generatedClient('postgresql');
    const client = new Client({ adapter: new PrismaPg(pool) });
    let ended = false;
    const stop = async () => {
      if (!ended) await pool.end();
      ended = true;
    };
    return underTest('postgresql', client, stop, async () => {
      await stop();
      await database.stop();
    });
  });
}

it("types the stores from Prisma's generated client: the client is accepted, the fields are checked", () => {
  generatedClient('postgresql');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tsc = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(root, 'test/fixtures/prisma/tsconfig.json'),
    ],
    { encoding: 'utf8' },
  );
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
}, 120_000);
