import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Controller,
  Global,
  HttpCode,
  Inject,
  Injectable,
  Module,
  Post,
  type INestApplication,
} from '@nestjs/common';
import Database from 'better-sqlite3';
import { eq } from 'drizzle-orm';
import { drizzle as sqliteDrizzle } from 'drizzle-orm/better-sqlite3';
import { drizzle as pgDrizzle } from 'drizzle-orm/node-postgres';
import { integer, pgTable, serial, varchar } from 'drizzle-orm/pg-core';
import { integer as sqliteInteger, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import pg from 'pg';
import type request from 'supertest';
import {
  CurrentTransition,
  defineResource,
  Transition,
  TransitionGuardModule,
  TransitionService,
} from '../../src/index.js';
import {
  DrizzleIdempotencyStore,
  DrizzleTransitionStore,
  isUnavailable,
  pgIdempotencyKeys,
  pgTransitionLog,
  sqliteIdempotencyKeys,
  sqliteTransitionLog,
  type DrizzleDatabase,
} from '../../src/store/drizzle/index.js';
import { orderMachine, orderPayloads, type OrderContext } from '../../machines/order.machine.js';
import { freshDatabase } from '../support/pg-database.js';
import { listen } from './module-harness.js';

/**
 * The Drizzle stores behind the NestJS layer, on a SQLite file and on PostgreSQL: racing
 * payments lose nothing, a paid order takes one winner, an Idempotency-Key retry replays (the key
 * marked committed in the transition's own transaction), and a stopped database is a 503.
 */
const sqliteOrders = sqliteTable('orders', {
  id: sqliteInteger('id').primaryKey({ autoIncrement: true }),
  status: text('status').notNull(),
  total: sqliteInteger('total').notNull(),
  paid: sqliteInteger('paid').notNull(),
  version: sqliteInteger('version').notNull(),
});
const pgOrders = pgTable('orders', {
  id: serial('id').primaryKey(),
  status: varchar('status', { length: 32 }).notNull(),
  total: integer('total').notNull(),
  paid: integer('paid').notNull(),
  version: integer('version').notNull(),
});

const ddl = (serialKey: string) => [
  `CREATE TABLE orders (id ${serialKey}, status varchar(32) NOT NULL, total integer NOT NULL, paid integer NOT NULL, version integer NOT NULL)`,
  `CREATE TABLE transition_log (id ${serialKey}, "transitionId" varchar(36), resource varchar(100) NOT NULL, "resourceId" varchar(128) NOT NULL, ` +
    `event varchar(256) NOT NULL, from_state varchar(1024) NOT NULL, to_state varchar(1024) NOT NULL, version integer, actor varchar(256), ` +
    `at varchar(40) NOT NULL, reason varchar(200), comment varchar(2000), metadata text, "machineVersion" varchar(16), "correlationId" varchar(128))`,
  `CREATE TABLE idempotency_keys (caller varchar(256) NOT NULL, "key" varchar(255) NOT NULL, fingerprint varchar(64) NOT NULL, ` +
    `token varchar(64) NOT NULL, status varchar(16) NOT NULL, response text, committed text, "leaseUntilMs" bigint NOT NULL, ` +
    `"expiresAtMs" bigint NOT NULL, PRIMARY KEY (caller, "key"))`,
];

interface Backend {
  readonly name: string;
  /** The tables are of the backend's dialect; typed as SQLite's, since their columns are the same. */
  readonly orders: typeof sqliteOrders;
  readonly log: typeof sqliteTransitionLog;
  readonly keys: typeof sqliteIdempotencyKeys;
  open(): Promise<{ db: DrizzleDatabase; stop: () => Promise<void> }>;
}

const sqlite: Backend = {
  name: 'SQLite',
  orders: sqliteOrders,
  log: sqliteTransitionLog,
  keys: sqliteIdempotencyKeys,
  open: () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-drizzle-e2e-'));
    const client = new Database(join(dir, 'app.sqlite'));
    client.pragma('journal_mode = WAL');
    for (const statement of ddl('integer PRIMARY KEY AUTOINCREMENT')) client.exec(statement);
    return Promise.resolve({
      db: sqliteDrizzle(client),
      stop: () => {
        if (client.open) client.close();
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    });
  },
};

const postgres: Backend = {
  name: 'PostgreSQL',
  orders: pgOrders as unknown as typeof sqliteOrders,
  log: pgTransitionLog as unknown as typeof sqliteTransitionLog,
  keys: pgIdempotencyKeys as unknown as typeof sqliteIdempotencyKeys,
  async open() {
    const database = await freshDatabase('tg_drizzle_e2e');
    if (!database) throw new Error('no PostgreSQL server');
    const pool = new pg.Pool({ connectionString: database.url, max: 10 });
    for (const statement of ddl('serial PRIMARY KEY')) await pool.query(statement);
    let ended = false;
    return {
      db: pgDrizzle(pool),
      stop: async () => {
        if (!ended) await pool.end();
        ended = true;
        await database.stop();
      },
    };
  },
};

const DB = Symbol('drizzle database');

/** The app: orders on Drizzle, PAY with Idempotency-Key, callers from X-User-Id. */
function ordersApp(db: DrizzleDatabase, backend: Backend) {
  @Injectable()
  class OrderStore extends DrizzleTransitionStore<typeof sqliteOrders, OrderContext> {
    constructor(@Inject(DB) database: DrizzleDatabase) {
      super(database, {
        table: backend.orders,
        stateProperty: 'status',
        versionProperty: 'version',
        log: backend.log,
        context: (o) => ({ total: o.total, paid: o.paid }),
      });
    }
  }

  @Injectable()
  class KeyStore extends DrizzleIdempotencyStore {
    constructor(@Inject(DB) database: DrizzleDatabase) {
      super(database, backend.keys);
    }
  }

  const order = defineResource({
    resource: 'order',
    machine: orderMachine,
    store: OrderStore,
    payloads: orderPayloads,
  });

  @Controller('orders/:id')
  class OrdersController {
    constructor(@Inject(TransitionService) private readonly transitions: TransitionService) {}

    @Post('pay')
    @HttpCode(200)
    @Transition(order, 'PAY', { idempotency: true })
    async pay(@CurrentTransition() t: CurrentTransition<typeof order, 'PAY'>) {
      const { row } = await this.transitions.commit(
        t,
        (base) => ({ paid: base.context.paid + t.payload.amount }),
        { returning: true },
      );
      return row;
    }
  }

  @Global()
  @Module({ providers: [{ provide: DB, useValue: db }], exports: [DB] })
  class DatabaseModule {}

  @Module({
    imports: [
      DatabaseModule,
      TransitionGuardModule.forRoot({
        getActor: (r) =>
          typeof r.headers['x-user-id'] === 'string' ? r.headers['x-user-id'] : null,
        isStoreUnavailable: isUnavailable,
        idempotency: { store: KeyStore },
        commit: { maxRetries: 20 },
      }),
      TransitionGuardModule.forFeature([order]),
    ],
    controllers: [OrdersController],
  })
  class AppModule {}
  return AppModule;
}

const backends = [sqlite, ...(process.env.TG_POSTGRES_URL ? [postgres] : [])];
if (!process.env.TG_POSTGRES_URL) {
  console.warn('Drizzle e2e on PostgreSQL skipped: TG_POSTGRES_URL is unset');
}

describe.each(backends)('Drizzle stores behind the guard, on $name', (backend) => {
  let app: INestApplication;
  let http: () => ReturnType<typeof request>;
  let db: DrizzleDatabase;
  let stop: () => Promise<void>;
  const q = () =>
    db as unknown as {
      insert(t: unknown): { values(v: object): { returning(): PromiseLike<{ id: number }[]> } };
      select(): {
        from(t: unknown): { where(w: unknown): PromiseLike<Record<string, unknown>[]> };
      };
    };

  beforeAll(async () => {
    ({ db, stop } = await backend.open());
    ({ app, http } = await listen(ordersApp(db, backend), 'express'));
  });
  afterAll(async () => {
    await app.close();
    await stop();
  });

  const newOrder = async (total: number) => {
    const rows = await q()
      .insert(backend.orders)
      .values({ status: 'pending', total, paid: 0, version: 0 })
      .returning();
    return String(rows[0].id);
  };
  const row = async (id: string) =>
    (
      await q()
        .select()
        .from(backend.orders)
        .where(eq(backend.orders.id, Number(id)))
    )[0];
  const logOf = async (id: string) =>
    q().select().from(backend.log).where(eq(backend.log.resourceId, id));
  const pay = (id: string, amount: number, key?: string) => {
    const r = http().post(`/orders/${id}/pay`).set('X-User-Id', 'ann');
    return (key ? r.set('Idempotency-Key', key) : r).send({ amount });
  };

  it('counts every one of 30 racing partial payments that answered 200, and no other', async () => {
    const id = await newOrder(1_000);
    const answers = await Promise.all(Array.from({ length: 30 }, () => pay(id, 7)));
    const ok = answers.filter((a) => a.status === 200).length;
    const stale = answers.filter((a) => a.status === 409);
    expect(ok + stale.length).toBe(30);
    for (const a of stale) expect(a.body.reason).toBe('stale-state');
    expect(ok).toBeGreaterThan(0);
    expect(await row(id)).toMatchObject({ status: 'pending', paid: 7 * ok, version: ok });
    expect(await logOf(id)).toHaveLength(ok);
  });

  it('gives a paid-in-full order exactly one winner among 20 racing payments', async () => {
    const id = await newOrder(100);
    const answers = await Promise.all(Array.from({ length: 20 }, () => pay(id, 100)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(19);
    expect(await row(id)).toMatchObject({ status: 'paid', paid: 100, version: 1 });
  });

  it('replays an Idempotency-Key retry without paying twice', async () => {
    const id = await newOrder(1_000);
    const first = await pay(id, 10, 'pay-1').expect(200);
    expect(first.body).toMatchObject({ status: 'pending', paid: 10, version: 1 });
    const again = await pay(id, 10, 'pay-1').expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    // Concurrent retries of one new key: one execution.
    const burst = await Promise.all(Array.from({ length: 8 }, () => pay(id, 5, 'pay-2')));
    expect(burst.every((a) => a.status === 200 || a.status === 409)).toBe(true);
    expect(await row(id)).toMatchObject({ paid: 15, version: 2 });
    expect(await logOf(id)).toHaveLength(2);
  });

  it('answers 503 while the database is gone, never 500', async () => {
    const id = await newOrder(100);
    await stop();
    const down = await pay(id, 10);
    expect(down.status).toBe(503);
    expect(down.body.code).toBe('STORE_UNAVAILABLE');
  });
});
