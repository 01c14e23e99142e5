import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import request from 'supertest';
import { freshDatabase } from '../support/pg-database.js';
import { generatedClient } from '../support/prisma-client.js';
import {
  createPostgresTables,
  createSqliteFile,
  orderTables,
  type Tables,
} from '../support/store-tables.js';
import { startDemoProcess, stopDemoProcess, type DemoProcess } from '../support/processes.js';
import { runsOn } from '../support/databases.js';
import type { Outcome } from './apps/ambient-orders-app.js';

/**
 * commit() inside the app's own `@Transactional()` (`@nestjs-cls/transactional`) on each ORM that
 * has an adapter: the state change, its log row and the handler's own write commit or roll back
 * together; afterCommit hooks run once the app's transaction has committed (they see the change
 * from another connection), never for one that rolled back; an Idempotency-Key whose attempt
 * rolled back is free again. Drizzle runs on PostgreSQL only: its better-sqlite3 transactions
 * refuse async work, so the Drizzle adapter cannot open one on SQLite (drizzle-orm issue 1472).
 */
// tsx/esm, not tsx: tsx's CommonJS hook would load a second @nestjs/core for nestjs-cls (CommonJS).
const APP = ['--import', 'tsx/esm', 'test/e2e/apps/ambient-app-main.ts'];

/** The tables of the e2e orders app, and a table for the handler's own writes. */
const tables: Tables = (d) => [
  ...orderTables(d),
  `CREATE TABLE order_notes (id ${d.serial}, order_id integer NOT NULL)`,
];

/** A database with the tables, the app process's environment for it, and reads of what is committed. */
interface AmbientDatabase {
  readonly env: Record<string, string>;
  /** Runs a query on a connection of its own: sees committed rows only. */
  committed(query: string, params: unknown[]): Promise<Record<string, unknown>[]>;
  /** `?` on SQLite, `$n` on PostgreSQL. */
  p(n: number): string;
  close(): Promise<void>;
}

function sqliteDatabase(): AmbientDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'tg-ambient-'));
  const file = join(dir, 'app.sqlite');
  createSqliteFile(file, tables);
  const reader = new Database(file);
  return {
    env: { SQLITE_FILE: file },
    committed: (query, params) =>
      Promise.resolve(reader.prepare(query).all(...params) as Record<string, unknown>[]),
    p: () => '?',
    close: () => {
      reader.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

async function postgresDatabase(name: string): Promise<AmbientDatabase> {
  const database = await freshDatabase(name);
  if (!database) throw new Error('no PostgreSQL server');
  await createPostgresTables(database.url, tables);
  const reader = new pg.Pool({ connectionString: database.url, max: 2 });
  return {
    env: { DATABASE_URL: database.url },
    committed: async (query, params) => (await reader.query(query, params)).rows,
    p: (n) => `$${n}`,
    close: async () => {
      await reader.end();
      await database.stop();
    },
  };
}

/** Starts the app process on `db` with `orm`; collects what it prints. */
async function startApp(orm: string, db: AmbientDatabase, wrapped = true) {
  if (orm === 'prisma') generatedClient(db.env.DATABASE_URL ? 'postgresql' : 'sqlite');
  const app = await startDemoProcess({ ...db.env, ORM: orm, WRAPPED: wrapped ? '1' : '0' }, APP);
  let output = '';
  app.child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  app.child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  return { app, output: () => output };
}

function describeAmbient(name: string, orm: string, open: () => Promise<AmbientDatabase>) {
  describe(name, () => {
    let db: AmbientDatabase;
    let app: DemoProcess;

    beforeAll(async () => {
      db = await open();
      ({ app } = await startApp(orm, db));
    }, 120_000);
    afterAll(async () => {
      if (app) await stopDemoProcess(app);
      await db?.close();
    });

    const newOrder = async (total: number) => {
      const rows = await db.committed(
        `INSERT INTO orders (status, total, paid, version) VALUES ('pending', ${db.p(1)}, 0, 0) RETURNING id`,
        [total],
      );
      return String(rows[0].id);
    };
    const state = async (id: string) =>
      (
        await db.committed(`SELECT status, paid, version FROM orders WHERE id = ${db.p(1)}`, [
          Number(id),
        ])
      ).map((r) => ({ status: r.status, paid: Number(r.paid), version: Number(r.version) }))[0];
    const count = async (table: 'order_notes' | 'transition_log', id: string) => {
      const column = table === 'order_notes' ? 'order_id' : '"resourceId"';
      const rows = await db.committed(
        `SELECT count(*) AS n FROM ${table} WHERE ${column} = ${db.p(1)}`,
        [table === 'order_notes' ? Number(id) : id],
      );
      return Number(rows[0].n);
    };
    const pay = (id: string, amount: number, outcome: Outcome, key?: string) => {
      const r = request(app.url)
        .post(`/orders/${id}/pay`)
        .set('X-User-Id', 'ann')
        .set('X-Outcome', outcome);
      return (key ? r.set('Idempotency-Key', key) : r).send({ amount });
    };
    /** The afterCommit hook's runs for these orders, with the status committed when each ran. */
    const hooks = async (...ids: string[]) =>
      ((await request(app.url).get('/hooks').expect(200)).body as { id: string }[]).filter((h) =>
        ids.includes(h.id),
      );

    it("commits the state change, its log row and the handler's own write together; the hook runs after the commit", async () => {
      const id = await newOrder(100);
      const res = await pay(id, 100, 'ok');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ from: 'pending', to: 'paid', version: 1 });
      expect(res.headers.etag).toBe('"v1"');
      expect(await state(id)).toEqual({ status: 'paid', paid: 100, version: 1 });
      expect(await count('order_notes', id)).toBe(1);
      expect(await count('transition_log', id)).toBe(1);
      expect(await hooks(id)).toEqual([{ id, seen: 'paid' }]);
    });

    it("rolls the state change back with the handler's write when the handler fails after commit(): no log row, no hook, the key free again", async () => {
      const id = await newOrder(100);
      const failed = await pay(id, 100, 'fail', `ambient-${id}`);
      expect(failed.status).toBe(422);
      expect(failed.headers.etag).not.toBe('"v1"');
      expect(await state(id)).toEqual({ status: 'pending', paid: 0, version: 0 });
      expect(await count('order_notes', id)).toBe(0);
      expect(await count('transition_log', id)).toBe(0);
      expect(await hooks(id)).toEqual([]);
      // The rolled-back attempt did not commit: the same key runs the payment (once), not 409.
      const retry = await pay(id, 100, 'ok', `ambient-${id}`);
      expect(retry.status).toBe(200);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      const replay = await pay(id, 100, 'ok', `ambient-${id}`);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(await state(id)).toEqual({ status: 'paid', paid: 100, version: 1 });
      expect(await hooks(id)).toEqual([{ id, seen: 'paid' }]);
    });

    it('waits for the outer transaction when commit() ran in a nested one, and runs nothing when the outer one rolls back', async () => {
      const rolledBack = await newOrder(100);
      expect((await pay(rolledBack, 100, 'nested-fail')).status).toBe(422);
      expect(await state(rolledBack)).toEqual({ status: 'pending', paid: 0, version: 0 });
      expect(await count('transition_log', rolledBack)).toBe(0);
      const committed = await newOrder(100);
      expect((await pay(committed, 100, 'nested-ok')).status).toBe(200);
      expect(await state(committed)).toEqual({ status: 'paid', paid: 100, version: 1 });
      expect(await count('order_notes', committed)).toBe(1);
      expect(await hooks(rolledBack, committed)).toEqual([{ id: committed, seen: 'paid' }]);
    });

    it('keeps the guard in front: a second payment of a paid order is refused with 409', async () => {
      const id = await newOrder(100);
      await pay(id, 100, 'ok').expect(200);
      const again = await pay(id, 100, 'ok');
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ reason: 'no-transition', currentState: 'paid' });
    });
  });
}

describeAmbient('commit() in the app\u2019s transaction: TypeORM on SQLite', 'typeorm', () =>
  Promise.resolve(sqliteDatabase()),
);
describeAmbient('commit() in the app\u2019s transaction: Prisma on SQLite', 'prisma', () =>
  Promise.resolve(sqliteDatabase()),
);

it('refuses to join the app\u2019s transaction when the adapter is not wrapped by withTransitionHooks, before writing anything', async () => {
  const db = sqliteDatabase();
  const { app, output } = await startApp('typeorm', db, false);
  try {
    const [{ id }] = await db.committed(
      `INSERT INTO orders (status, total, paid, version) VALUES ('pending', 100, 0, 0) RETURNING id`,
      [],
    );
    const res = await request(app.url)
      .post(`/orders/${String(id)}/pay`)
      .send({ amount: 100 });
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain('withTransitionHooks');
    // The log line reaches the pipe after the response: wait for it (bounded).
    for (let i = 0; i < 50 && !output().includes('withTransitionHooks'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(output()).toContain('withTransitionHooks(new TransactionalAdapterTypeOrm(');
    expect(await db.committed(`SELECT status, version FROM orders WHERE id = ?`, [id])).toEqual([
      { status: 'pending', version: 0 },
    ]);
    expect(await db.committed(`SELECT count(*) AS n FROM order_notes`, [])).toEqual([{ n: 0 }]);
  } finally {
    await stopDemoProcess(app);
    await db.close();
  }
}, 120_000);

if (runsOn('postgres')) {
  describeAmbient('commit() in the app\u2019s transaction: TypeORM on PostgreSQL', 'typeorm', () =>
    postgresDatabase('tg_ambient_typeorm'),
  );
  describeAmbient('commit() in the app\u2019s transaction: Prisma on PostgreSQL', 'prisma', () =>
    postgresDatabase('tg_ambient_prisma'),
  );
  describeAmbient('commit() in the app\u2019s transaction: Drizzle on PostgreSQL', 'drizzle', () =>
    postgresDatabase('tg_ambient_drizzle'),
  );
}
