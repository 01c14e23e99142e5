import { Agent } from 'node:http';
import { DATABASE_NAMES, tierDatabases } from '../support/databases.js';
import { freshPlace, type Place } from '../support/places.js';
import { generatedClient } from '../support/prisma-client.js';
import { rawSql, type RawSql } from '../support/raw-sql.js';
import { orderTables } from '../support/store-tables.js';
import {
  pool,
  postJson,
  startDemoProcess,
  stopDemoProcess,
  type DemoProcess,
} from '../support/processes.js';

/**
 * The check-then-write race across processes for every store adapter: 4 app processes on one
 * PostgreSQL or MariaDB database with the store of one ORM (TypeORM, Prisma, Drizzle, MikroORM), racing
 * partial payments on a few hot orders, and full payments racing for an order that takes one.
 * Afterwards, per order: every payment answered 200 is counted once in `paid`, the version is the
 * number of 200s, the log has one row per 200, every refusal is a 409 (`stale-state` after the
 * bounded retries, or the order paid already). No lost update, nothing counted twice.
 */
const PROCESSES = 4;
const HOT_ORDERS = 5;
const PAYMENTS = 600; // partial payments, spread over the hot orders and the processes
const FULL_ORDERS = 10;
const FULL_RACERS = 12; // full payments racing for each of those orders
const APP = ['--import', 'tsx/esm', 'test/race/apps/orm-orders-main.ts'];
const ORMS = ['typeorm', 'prisma', 'drizzle', 'mikro-orm'] as const;

const cases = tierDatabases('postgres', 'mysql').flatMap((kind) =>
  ORMS.map((orm) => [orm, DATABASE_NAMES[kind], kind] as const),
);

describe.each(cases)('%s store, 4 processes on %s, racing payments', (orm, _name, kind) => {
  describe('', () => {
    const processes: DemoProcess[] = [];
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    let db: RawSql;
    let place: Place;

    beforeAll(async () => {
      place = await freshPlace(kind, `tg_race_${orm.replace('-', '_')}`, orderTables);
      if (orm === 'prisma') generatedClient(kind === 'mysql' ? 'mysql' : 'postgresql');
      db = rawSql(kind, place.where);
      const started = await Promise.all(
        Array.from({ length: PROCESSES }, () =>
          startDemoProcess({ DATABASE_URL: place.where, ORM: orm }, APP),
        ),
      );
      processes.push(...started);
    }, 120_000);

    afterAll(async () => {
      agent.destroy();
      await Promise.all(processes.map(stopDemoProcess));
      await db?.end();
      await place?.drop();
    });

    const newOrder = (total: number) =>
      db.insert(
        `INSERT INTO orders (status, total, paid, version) VALUES ('pending', ${db.p(1)}, 0, 0)`,
        [total],
      );
    const row = async (id: number) => {
      const [r] = await db.query<{ status: string; paid: number; version: number; log: number }>(
        `SELECT status, paid, version, (SELECT count(*) FROM transition_log WHERE ${db.q('resourceId')} = ${db.p(2)}) AS log FROM orders WHERE id = ${db.p(1)}`,
        [id, String(id)],
      );
      return { ...r, log: String(r.log) };
    };
    /**
     * A payment, sent again (as a client should) while it is answered 503 "not-applied": a
     * starved machine (a shared 2-core VM) can keep a request waiting for a connection or a
     * transaction longer than the pool allows. Anything else, "unknown" included, is returned.
     */
    const pay = async (process: number, id: number, amount: number, route = 'pay') => {
      for (let attempt = 1; ; attempt++) {
        const res = await postJson(
          agent,
          `${processes[process % PROCESSES].url}/orders/${id}/${route}`,
          { amount },
          { 'x-user-id': 'racer' },
        );
        if (res.status !== 503 || res.body.outcome !== 'not-applied' || attempt === 20) return res;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    };

    /**
     * PAYMENTS partial payments racing on HOT_ORDERS orders through `route`, 32 at a time over
     * the processes; each order then checked: the 200s, and only they, counted once.
     */
    const racePayments = async (route: string) => {
      const ids = await Promise.all(Array.from({ length: HOT_ORDERS }, () => newOrder(1_000_000)));
      const sent = Array.from({ length: PAYMENTS }, (_, i) => ({
        id: ids[i % HOT_ORDERS],
        amount: 1 + (i % 7),
        process: i,
      }));
      const started = performance.now();
      const answers = await pool(
        sent.map((s) => async () => ({ ...s, res: await pay(s.process, s.id, s.amount, route) })),
        32,
      );
      const seconds = (performance.now() - started) / 1000;
      const ok = answers.filter((a) => a.res.status === 200);
      for (const id of ids) {
        const mine = ok.filter((a) => a.id === id);
        const paid = mine.reduce((sum, a) => sum + a.amount, 0);
        expect(await row(id)).toEqual({
          status: 'pending',
          paid,
          version: mine.length,
          log: String(mine.length),
        });
      }
      return { ok, refused: answers.filter((a) => a.res.status !== 200), seconds };
    };

    it('counts every partial payment answered 200 exactly once, and loses none', async () => {
      const { ok, refused } = await racePayments('pay');
      for (const a of refused) {
        expect(a.res.status).toBe(409);
        expect(a.res.body.reason).toBe('stale-state');
      }
      expect(ok.length).toBeGreaterThan(PAYMENTS / 2);
      console.log(
        `${orm}: ${PAYMENTS} racing partial payments on ${HOT_ORDERS} orders from ${PROCESSES} processes: ` +
          `${ok.length} paid, ${refused.length} refused stale-state, 0 lost`,
      );
    }, 120_000);

    it('queues the same race under the row lock (commitLocked): every payment paid, none stale', async () => {
      const { ok, refused, seconds } = await racePayments('pay-locked');
      expect(refused).toEqual([]);
      expect(ok).toHaveLength(PAYMENTS);
      console.log(
        `${orm}: ${PAYMENTS} partial payments under the row lock on ${HOT_ORDERS} orders from ${PROCESSES} processes: ` +
          `${PAYMENTS} paid, 0 stale-state, 0 lost, ${Math.round(PAYMENTS / seconds)} req/s`,
      );
    }, 120_000);

    it('lets exactly one of the racing full payments pay an order', async () => {
      const ids = await Promise.all(Array.from({ length: FULL_ORDERS }, () => newOrder(100)));
      const answers = await pool(
        ids.flatMap((id) =>
          Array.from({ length: FULL_RACERS }, (_, i) => async () => ({
            id,
            res: await pay(i, id, 100),
          })),
        ),
        32,
      );
      for (const id of ids) {
        const mine = answers.filter((a) => a.id === id);
        expect(mine.filter((a) => a.res.status === 200)).toHaveLength(1);
        expect(mine.filter((a) => a.res.status === 409)).toHaveLength(FULL_RACERS - 1);
        expect(await row(id)).toEqual({ status: 'paid', paid: 100, version: 1, log: '1' });
      }
    }, 120_000);
  });
});
