/**
 * `npm run bench:stores`: the guarded route's database work (load, then compare-and-set with
 * the new `paid`), through each store, side by side on the same table, against the same work
 * written by hand on the raw driver (read, then `UPDATE ... WHERE id AND status AND version`).
 * 10 concurrent workers over 300 rows, interleaved rounds, medians. No HTTP: the HTTP benchmark
 * measures the route; this one measures what each ORM adds to it.
 */
import { storesTable } from './report.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import Database from 'better-sqlite3';
import { drizzle as sqliteDrizzle } from 'drizzle-orm/better-sqlite3';
import { drizzle as pgDrizzle } from 'drizzle-orm/node-postgres';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { DataSource, EntitySchema } from 'typeorm';
import type { TransitionRecord, TransitionStore } from '../src/store/index.js';
import { DrizzleTransitionStore } from '../src/store/drizzle/index.js';
import { MikroOrmTransitionStore } from '../src/store/mikro-orm/index.js';
import { PrismaTransitionStore } from '../src/store/prisma/index.js';
import { TypeOrmTransitionStore } from '../src/store/typeorm/index.js';
import {
  mikroOrders,
  pgOrders,
  sqliteOrders,
  type OrderRow,
} from '../test/support/order-schemas.js';
import { freshDatabase } from '../test/support/pg-database.js';
import { freshMysqlDatabase } from '../test/support/places.js';
import { mysqlServer, postgres } from './servers.js';
import { TOGGLE_TABLES, toggleTables } from './trigger-cost.bench.js';
import { generatedClient } from '../test/support/prisma-client.js';
import {
  createPostgresTables,
  createSqliteFile,
  orderTables,
} from '../test/support/store-tables.js';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = QUICK ? 1 : 5;
const DURATION_MS = QUICK ? 400 : 3000;
const WORKERS = 10;
const ROWS = 300;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

type Order = OrderRow;
type Store = TransitionStore<{ paid: number }, { paid?: number }>;

/** One way to do the work: load the row, then write `paid + 1` if it did not move. */
interface Way {
  readonly name: string;
  step(id: string): Promise<boolean>;
  close(): Promise<void>;
}

const record = (id: string, version: number): TransitionRecord => ({
  transitionId: '00000000-0000-4000-8000-000000000000',
  resource: 'order',
  resourceId: id,
  event: 'PAY',
  from: 'pending',
  to: 'pending',
  version,
  actor: null,
  at: new Date(0),
  reason: null,
  comment: null,
  metadata: null,
  machineVersion: 'bench',
  correlationId: null,
});

function viaStore(name: string, store: Store, close: () => Promise<void>): Way {
  return {
    name,
    async step(id) {
      const row = await store.load(id);
      if (!row?.context) return false;
      const written = await store.compareAndSet(
        id,
        { state: row.state, version: row.version },
        { state: 'pending', changes: { paid: row.context.paid + 1 } },
        { record: record(id, (row.version ?? 0) + 1) },
      );
      return written.written;
    },
    close,
  };
}

const typeOrmOrder = new EntitySchema<Order>({
  name: 'Order',
  tableName: 'orders',
  columns: {
    id: { type: Number, primary: true, generated: true },
    status: { type: String },
    total: { type: Number },
    paid: { type: Number },
    version: { type: Number },
  },
});
const context = (o: Order) => ({ paid: o.paid });
const storeOptions = { stateProperty: 'status', versionProperty: 'version', context } as const;

/** The trigger's rows: the same state change by hand on two tables alike, one with the trigger. */
const TRIGGER_WAYS = {
  toggles_plain: 'state change by hand, no trigger',
  toggles_guarded: 'state change by hand, machine trigger',
} as const;
const flip = (status: string) => (status === 'open' ? 'closed' : 'open');

async function sqliteWays(file: string): Promise<Way[]> {
  const ways: Way[] = [];
  const raw = new Database(file);
  raw.pragma('journal_mode = WAL');
  const read = raw.prepare('SELECT status, paid, version FROM orders WHERE id = ?');
  const write = raw.prepare(
    'UPDATE orders SET paid = ?, version = version + 1 WHERE id = ? AND status = ? AND version = ?',
  );
  ways.push({
    name: 'by hand: better-sqlite3, read + compare-and-set',
    step: (id) => {
      const row = read.get(Number(id)) as Order;
      return Promise.resolve(
        write.run(row.paid + 1, Number(id), row.status, row.version).changes === 1,
      );
    },
    close: () => Promise.resolve(),
  });
  for (const table of TOGGLE_TABLES) {
    const readToggle = raw.prepare(`SELECT status, version FROM ${table} WHERE id = ?`);
    const writeToggle = raw.prepare(
      `UPDATE ${table} SET status = ?, version = version + 1 WHERE id = ? AND status = ? AND version = ?`,
    );
    ways.push({
      name: TRIGGER_WAYS[table],
      step: (id) => {
        const row = readToggle.get(Number(id)) as { status: string; version: number };
        return Promise.resolve(
          writeToggle.run(flip(row.status), Number(id), row.status, row.version).changes === 1,
        );
      },
      close: () => Promise.resolve(table === 'toggles_guarded' ? void raw.close() : undefined),
    });
  }
  const ds = await new DataSource({
    type: 'better-sqlite3',
    database: file,
    entities: [typeOrmOrder],
  }).initialize();
  ways.push(
    viaStore(
      'TypeOrmTransitionStore',
      new TypeOrmTransitionStore<Order, { paid: number }>(ds, {
        entity: typeOrmOrder,
        ...storeOptions,
      }) as unknown as Store,
      () => ds.destroy(),
    ),
  );
  const client = new Database(file);
  ways.push(
    viaStore(
      'DrizzleTransitionStore',
      new DrizzleTransitionStore(sqliteDrizzle(client), {
        table: sqliteOrders,
        ...storeOptions,
      }) as unknown as Store,
      () => Promise.resolve(void client.close()),
    ),
  );
  const Prisma = generatedClient('sqlite');
  const prisma = new Prisma({ adapter: new PrismaBetterSqlite3({ url: `file:${file}` }) });
  ways.push(
    viaStore(
      'PrismaTransitionStore',
      new PrismaTransitionStore<Order, { paid: number }>(prisma, {
        provider: 'sqlite',
        table: 'orders',
        stateProperty: 'status',
        versionProperty: 'version',
        context,
      }) as unknown as Store,
      () => prisma.$disconnect(),
    ),
  );
  const orm = await MikroORM.init({
    driver: BetterSqliteDriver,
    dbName: file,
    entities: [mikroOrders],
    allowGlobalContext: true,
  });
  ways.push(
    viaStore(
      'MikroOrmTransitionStore',
      new MikroOrmTransitionStore<Order, { paid: number }>(orm.em, {
        entity: 'Order',
        ...storeOptions,
      }) as unknown as Store,
      () => orm.close(true),
    ),
  );
  return ways;
}

async function postgresWays(url: string): Promise<Way[]> {
  const ways: Way[] = [];
  const pool = new pg.Pool({ connectionString: url, max: WORKERS });
  ways.push({
    name: 'by hand: pg, read + compare-and-set',
    async step(id) {
      const { rows } = await pool.query<Order>(
        'SELECT status, paid, version FROM orders WHERE id = $1',
        [Number(id)],
      );
      const row = rows[0];
      const written = await pool.query(
        'UPDATE orders SET paid = $1, version = version + 1 WHERE id = $2 AND status = $3 AND version = $4',
        [row.paid + 1, Number(id), row.status, row.version],
      );
      return written.rowCount === 1;
    },
    close: () => Promise.resolve(),
  });
  for (const table of TOGGLE_TABLES) {
    ways.push({
      name: TRIGGER_WAYS[table],
      async step(id) {
        const { rows } = await pool.query<{ status: string; version: number }>(
          `SELECT status, version FROM ${table} WHERE id = $1`,
          [Number(id)],
        );
        const row = rows[0];
        const written = await pool.query(
          `UPDATE ${table} SET status = $1, version = version + 1 WHERE id = $2 AND status = $3 AND version = $4`,
          [flip(row.status), Number(id), row.status, row.version],
        );
        return written.rowCount === 1;
      },
      close: () => (table === 'toggles_guarded' ? pool.end() : Promise.resolve()),
    });
  }
  const ds = await new DataSource({
    type: 'postgres',
    url,
    entities: [typeOrmOrder],
    poolSize: WORKERS,
  }).initialize();
  ways.push(
    viaStore(
      'TypeOrmTransitionStore',
      new TypeOrmTransitionStore<Order, { paid: number }>(ds, {
        entity: typeOrmOrder,
        ...storeOptions,
      }) as unknown as Store,
      () => ds.destroy(),
    ),
  );
  const drizzlePool = new pg.Pool({ connectionString: url, max: WORKERS });
  ways.push(
    viaStore(
      'DrizzleTransitionStore',
      new DrizzleTransitionStore(pgDrizzle(drizzlePool), {
        table: pgOrders,
        ...storeOptions,
      }) as unknown as Store,
      () => drizzlePool.end(),
    ),
  );
  const Prisma = generatedClient('postgresql');
  const prismaPool = new pg.Pool({ connectionString: url, max: WORKERS });
  const prisma = new Prisma({ adapter: new PrismaPg(prismaPool) });
  ways.push(
    viaStore(
      'PrismaTransitionStore',
      new PrismaTransitionStore<Order, { paid: number }>(prisma, {
        provider: 'postgresql',
        table: 'orders',
        stateProperty: 'status',
        versionProperty: 'version',
        context,
      }) as unknown as Store,
      () => prismaPool.end(),
    ),
  );
  const orm = await MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: url,
    entities: [mikroOrders],
    allowGlobalContext: true,
    pool: { min: 0, max: WORKERS },
  });
  ways.push(
    viaStore(
      'MikroOrmTransitionStore',
      new MikroOrmTransitionStore<Order, { paid: number }>(orm.em, {
        entity: 'Order',
        ...storeOptions,
      }) as unknown as Store,
      () => orm.close(true),
    ),
  );
  return ways;
}

/** Steps per second: WORKERS workers on random rows for DURATION_MS. */
/**
 * MySQL/MariaDB: the work by hand on mysql2, and the trigger's two rows (the stores' own rows on
 * MySQL are the HTTP benchmark's).
 */
function mysqlWays(pool: mysql.Pool): Way[] {
  const ways: Way[] = [
    {
      name: 'by hand: mysql2, read + compare-and-set',
      async step(id) {
        const [rows] = await pool.query<mysql.RowDataPacket[]>(
          'SELECT status, paid, version FROM orders WHERE id = ?',
          [Number(id)],
        );
        const row = rows[0] as Order;
        const [written] = await pool.query<mysql.ResultSetHeader>(
          'UPDATE orders SET paid = ?, version = version + 1 WHERE id = ? AND status = ? AND version = ?',
          [row.paid + 1, Number(id), row.status, row.version],
        );
        return written.affectedRows === 1;
      },
      close: () => Promise.resolve(),
    },
  ];
  for (const table of TOGGLE_TABLES) {
    ways.push({
      name: TRIGGER_WAYS[table],
      async step(id) {
        const [rows] = await pool.query<mysql.RowDataPacket[]>(
          `SELECT status, version FROM ${table} WHERE id = ?`,
          [Number(id)],
        );
        const row = rows[0] as { status: string; version: number };
        const [written] = await pool.query<mysql.ResultSetHeader>(
          `UPDATE ${table} SET status = ?, version = version + 1 WHERE id = ? AND status = ? AND version = ?`,
          [flip(row.status), Number(id), row.status, row.version],
        );
        return written.affectedRows === 1;
      },
      close: () => (table === 'toggles_guarded' ? pool.end() : Promise.resolve()),
    });
  }
  return ways;
}

async function measure(way: Way): Promise<number> {
  let done = 0;
  const until = Date.now() + DURATION_MS;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (Date.now() < until) {
        await way.step(String(1 + Math.floor(Math.random() * ROWS)));
        done++;
      }
    }),
  );
  return (done / (Date.now() - started)) * 1000;
}

export interface StoreRow {
  database: string;
  store: string;
  opsPerSecond: number;
}

async function run(database: string, ways: Way[]): Promise<StoreRow[]> {
  for (const way of ways) for (let i = 0; i < 200; i++) await way.step(String(1 + (i % ROWS)));
  const samples = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const way of round % 2 ? [...ways].reverse() : ways) {
      samples.set(way.name, [...(samples.get(way.name) ?? []), await measure(way)]);
    }
  }
  for (const way of ways) await way.close();
  return ways.map((w) => ({ database, store: w.name, opsPerSecond: median(samples.get(w.name)!) }));
}

export async function storesBench(): Promise<{ rows: StoreRow[]; skipped?: string }> {
  const rows: StoreRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-stores-'));
  try {
    const file = join(dir, 'stores.sqlite');
    createSqliteFile(file, orderTables);
    const seed = new Database(file);
    const insert = seed.prepare(
      "INSERT INTO orders (status, total, paid, version) VALUES ('pending', 1000000000, 0, 0)",
    );
    for (let i = 0; i < ROWS; i++) insert.run();
    for (const sql of toggleTables('sqlite', ROWS)) seed.exec(sql);
    seed.close();
    rows.push(...(await run('SQLite', await sqliteWays(file))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // TG_POSTGRES_URL's server, else a throwaway one (the test tier's servers are gone by now).
  const server = postgres();
  if ('skip' in server) return { rows, skipped: `PostgreSQL rows skipped: ${server.skip}` };
  const db = await freshDatabase('tg_bench_stores', server.url);
  try {
    await createPostgresTables(db.url, orderTables);
    const seed = new pg.Client({ connectionString: db.url });
    await seed.connect();
    await seed.query(
      `INSERT INTO orders (status, total, paid, version) SELECT 'pending', 1000000000, 0, 0 FROM generate_series(1, ${ROWS})`,
    );
    for (const sql of toggleTables('postgres', ROWS)) await seed.query(sql);
    await seed.end();
    rows.push(...(await run('PostgreSQL', await postgresWays(db.url))));
  } finally {
    await db.stop();
    server.stop();
  }
  const maria = mysqlServer();
  if ('skip' in maria) return { rows, skipped: `MySQL rows skipped: ${maria.skip}` };
  const mdb = await freshMysqlDatabase('tg_bench_stores', maria.url);
  try {
    const seed = await mysql.createConnection({ uri: mdb.url });
    await seed.query(
      'CREATE TABLE orders (id integer AUTO_INCREMENT PRIMARY KEY, status varchar(32) NOT NULL, total integer NOT NULL, paid integer NOT NULL, version integer NOT NULL)',
    );
    for (const sql of toggleTables('mysql', ROWS)) await seed.query(sql);
    const values = Array.from({ length: ROWS }, () => "('pending', 1000000000, 0, 0)").join(', ');
    await seed.query(`INSERT INTO orders (status, total, paid, version) VALUES ${values}`);
    await seed.end();
    const pool = mysql.createPool({ uri: mdb.url, connectionLimit: WORKERS });
    rows.push(...(await run('MySQL', mysqlWays(pool))));
  } finally {
    await mdb.stop();
    maria.stop();
  }
  return { rows };
}

/** The table, with each store's throughput against TypeORM's and against the raw driver. */
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(storesTable(await storesBench()));
}
