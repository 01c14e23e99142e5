import request from 'supertest';
import { databases, DATABASE_NAMES, type Database } from '../support/databases.js';
import { freshPlace } from '../support/places.js';
import { generatedClient } from '../support/prisma-client.js';
import { rawSql, type RawSql } from '../support/raw-sql.js';
import { orderTables, type Tables } from '../support/store-tables.js';
import { startDemoProcess, stopDemoProcess, type DemoProcess } from '../support/processes.js';

const PROVIDERS = { sqlite: 'sqlite', postgres: 'postgresql', mysql: 'mysql' } as const;
import type { Outcome } from './apps/ambient-orders-app.js';

/**
 * commit() inside the app's own `@Transactional()` (`@nestjs-cls/transactional`) on each ORM that
 * has an adapter: the state change, its log row and the handler's own write commit or roll back
 * together; afterCommit hooks run once the app's transaction has committed (they see the change
 * from another connection), never for one that rolled back; an Idempotency-Key whose attempt
 * rolled back is free again; on each database of the tier. Drizzle runs on the servers only: its
 * better-sqlite3 transactions refuse async work, so the Drizzle adapter cannot open one on
 * SQLite (drizzle-orm issue 1472).
 */
// tsx/esm, not tsx: tsx's CommonJS hook would load a second @nestjs/core for nestjs-cls (CommonJS).
const APP = ['--import', 'tsx/esm', 'test/e2e/apps/ambient-app-main.ts'];

/** The tables of the e2e orders app, and a table for the handler's own writes. */
const tables: Tables = (d) => [
  ...orderTables(d),
  `CREATE TABLE order_notes (id ${d.serial}, order_id integer NOT NULL)`,
];

/** A database with the tables, the app process's environment for it, and SQL of the test's own. */
interface AmbientDatabase {
  readonly kind: Database;
  readonly env: Record<string, string>;
  /** On a connection of its own: sees committed rows only. */
  readonly sql: RawSql;
  close(): Promise<void>;
}

async function ambientDatabase(kind: Database, name: string): Promise<AmbientDatabase> {
  const place = await freshPlace(kind, name, tables);
  const sql = rawSql(kind, place.where);
  return {
    kind,
    env: kind === 'sqlite' ? { SQLITE_FILE: place.where } : { DATABASE_URL: place.where },
    sql,
    close: async () => {
      await sql.end();
      await place.drop();
    },
  };
}

/** Starts the app process on `db` with `orm`; collects what it prints. */
async function startApp(orm: string, db: AmbientDatabase, wrapped = true) {
  if (orm === 'prisma') generatedClient(PROVIDERS[db.kind]);
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

    const newOrder = async (total: number) =>
      String(
        await db.sql.insert(
          `INSERT INTO orders (status, total, paid, version) VALUES ('pending', ${db.sql.p(1)}, 0, 0)`,
          [total],
        ),
      );
    const state = async (id: string) =>
      (
        await db.sql.query(`SELECT status, paid, version FROM orders WHERE id = ${db.sql.p(1)}`, [
          Number(id),
        ])
      ).map((r) => ({ status: r.status, paid: Number(r.paid), version: Number(r.version) }))[0];
    const count = async (table: 'order_notes' | 'transition_log', id: string) => {
      const column = table === 'order_notes' ? 'order_id' : db.sql.q('resourceId');
      const rows = await db.sql.query(
        `SELECT count(*) AS n FROM ${table} WHERE ${column} = ${db.sql.p(1)}`,
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

// Drizzle's better-sqlite3 transactions refuse async work: its adapter runs on the servers only.
for (const kind of databases()) {
  const orms = kind === 'sqlite' ? ['typeorm', 'prisma'] : ['typeorm', 'prisma', 'drizzle'];
  for (const orm of orms) {
    describeAmbient(
      `commit() in the app\u2019s transaction: ${orm} on ${DATABASE_NAMES[kind]}`,
      orm,
      () => ambientDatabase(kind, `tg_ambient_${orm}`),
    );
  }
}

it('refuses to join the app\u2019s transaction when the adapter is not wrapped by withTransitionHooks, before writing anything', async () => {
  const db = await ambientDatabase('sqlite', 'tg_ambient_unwrapped');
  const { app, output } = await startApp('typeorm', db, false);
  try {
    const id = await db.sql.insert(
      `INSERT INTO orders (status, total, paid, version) VALUES ('pending', 100, 0, 0)`,
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
    expect(await db.sql.query(`SELECT status, version FROM orders WHERE id = ?`, [id])).toEqual([
      { status: 'pending', version: 0 },
    ]);
    expect(await db.sql.query(`SELECT count(*) AS n FROM order_notes`, [])).toEqual([{ n: 0 }]);
  } finally {
    await stopDemoProcess(app);
    await db.close();
  }
}, 120_000);
