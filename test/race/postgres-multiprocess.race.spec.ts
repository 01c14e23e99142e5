import { DataSource } from 'typeorm';
import { generatedClient } from '../support/prisma-client.js';
import { createValidator } from '../../src/core/index.js';
import { orderMachine } from '../../machines/order.machine.js';
import { Agent } from 'node:http';
import {
  pool,
  postJson,
  postJsonWithHeaders,
  startDemoProcess,
  startDemoProcesses,
  stopDemoProcess,
  type DemoProcess,
} from '../support/processes.js';
import { serverUrl } from '../support/databases.js';

/**
 * The check-then-write race across processes: 4 demo processes (2 Express, 2 Fastify) on one
 * PostgreSQL database, 300 paid orders, 10,000 racing SHIP / CANCEL / REFUND / DELIVER requests
 * spread over the processes. Then, per order: the transition log is a valid path of the machine,
 * the version equals the number of transitions, every 2xx is in the log, every 409 names a state
 * the order really was in, and nothing was lost. Figures are printed for the README.
 */
const PROCESSES = 4;
const ORDERS = 300;
const REQUESTS = 10_000;
const CONCURRENCY = 64;

// The demo's order stores on TypeORM (its default) and on Prisma (ORM=prisma).
describe.each(['typeorm', 'prisma'])('order stores on %s', (orm) => {
  describe('PostgreSQL, several processes, racing transitions', () => {
    const url = serverUrl('postgres');
    const processes: DemoProcess[] = [];
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    let db: DataSource;

    beforeAll(async () => {
      db = new DataSource({ type: 'postgres', url });
      await db.initialize();
      await db.query(
        'DROP TABLE IF EXISTS orders, articles, notifications, transition_log, idempotency_keys, transition_outbox, transition_handled CASCADE',
      );
      // The demo processes load the Prisma client generated here (generating it in each at once would race).
      if (orm === 'prisma') generatedClient('postgresql');
      const env = { DATABASE_URL: url, GATEWAY_LATENCY_MS: '3', ORM: orm };
      processes.push(...(await startDemoProcesses(env, PROCESSES)));
    }, 180_000);

    afterAll(async () => {
      agent.destroy();
      await Promise.all(processes.map(stopDemoProcess));
      await db?.destroy();
      // The cluster serves every ORM's block: the file's afterAll stops it.
    });

    it(`keeps ${ORDERS} orders consistent under ${REQUESTS.toLocaleString('en-US')} racing requests from ${PROCESSES} processes`, async () => {
      const post = (base: string, path: string, body: object) =>
        postJson(agent, `${base}${path}`, body, { 'x-user-role': 'support' });
      const ids: number[] = [];
      for (let i = 0; i < ORDERS; i++) {
        const created = await post(processes[i % PROCESSES].url, '/orders', { total: 100 });
        ids.push(created.body.id);
      }
      await pool(
        ids.map(
          (id, i) => () => post(processes[i % PROCESSES].url, `/orders/${id}/pay`, { amount: 100 }),
        ),
        16,
      );

      let seed = 7;
      const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
      // Requests grouped by order, so that a burst of ~33 lands on each order at once, spread over
      // the processes: the window in which many pass the check and race to the write.
      const sent = Array.from({ length: REQUESTS }, () => {
        const id = ids[rnd(ids.length)];
        const kind = rnd(4);
        return {
          id,
          process: rnd(PROCESSES),
          event: ['SHIP', 'CANCEL', 'REFUND', 'DELIVER'][kind],
        };
      }).sort((a, b) => a.id - b.id);
      const started = Date.now();
      const responses = await pool(
        sent.map(
          (s) => () =>
            post(
              processes[s.process].url,
              `/orders/${s.id}/${s.event.toLowerCase()}`,
              s.event === 'SHIP' ? { carrier: 'UPS', trackingNumber: `1Z${s.id}` } : {},
            ).then((r) => ({ ...s, ...r })),
        ),
        CONCURRENCY,
      );
      const seconds = (Date.now() - started) / 1000;

      const statuses = responses.reduce<Record<number, number>>(
        (acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }),
        {},
      );
      expect(Object.keys(statuses).sort()).toEqual(['200', '409']);

      const validator = createValidator(orderMachine);
      const log: {
        resourceId: string;
        event: string;
        from_state: string;
        to_state: string;
        version: number;
      }[] = await db.query(
        `SELECT "resourceId", event, from_state, to_state, version FROM transition_log WHERE resource = 'order' ORDER BY id`,
      );
      const rows: { id: number; status: string; version: number }[] = await db.query(
        'SELECT id, status, version FROM orders',
      );
      const byOrder = new Map<string, typeof log>();
      for (const entry of log)
        byOrder.set(entry.resourceId, [...(byOrder.get(entry.resourceId) ?? []), entry]);

      let lostUpdates = 0;
      for (const row of rows) {
        const history = byOrder.get(String(row.id)) ?? [];
        // A valid path of the machine from the initial state, one version per transition.
        let state = 'pending';
        history.forEach((entry, i) => {
          expect(entry.from_state).toBe(state);
          expect(entry.version).toBe(i + 1);
          const context =
            entry.event === 'PAY' ? { total: 100, paid: 0 } : { total: 100, paid: 100 };
          const payload =
            entry.event === 'PAY'
              ? { amount: 100 }
              : entry.event === 'SHIP'
                ? { carrier: 'UPS', trackingNumber: '1Z' }
                : {};
          const check = validator.check({ state, context }, {
            type: entry.event,
            ...payload,
          } as never);
          expect(check).toMatchObject({ allowed: true, to: entry.to_state });
          state = entry.to_state;
        });
        if (row.status !== state || row.version !== history.length) lostUpdates++;
      }
      expect(lostUpdates).toBe(0);

      // Every 2xx is in the log, exactly once; and the log holds nothing else but the setup payments.
      const wins = responses.filter((r) => r.status === 200);
      const logged = new Set(log.map((l) => `${l.resourceId}:${l.version}:${l.event}`));
      for (const w of wins)
        expect(logged.has(`${w.id}:${w.body.transition.version}:${w.event}`)).toBe(true);
      expect(log.length).toBe(ORDERS + wins.length);

      // Every 409 names a state the order really was in.
      const conflicts = responses.filter((r) => r.status === 409);
      const states = new Map(
        [...byOrder].map(([id, h]) => [id, new Set(h.flatMap((e) => [e.from_state, e.to_state]))]),
      );
      for (const c of conflicts)
        expect(states.get(String(c.id))!.has(c.body.currentState)).toBe(true);
      const stale = conflicts.filter((c) => c.body.reason === 'stale-state').length;
      const retried = wins.filter((w) => w.body.transition.attempts > 1).length;

      console.log(
        `postgres race (order stores on ${orm}): ${PROCESSES} processes, ${ORDERS} orders, ${REQUESTS} requests in ${seconds.toFixed(1)} s ` +
          `(${Math.round(REQUESTS / seconds)} req/s): ${wins.length} x 200, ${conflicts.length} x 409 ` +
          `(${stale} stale-state at commit, ${conflicts.length - stale} refused by the guard), ` +
          `${retried} wins after a retry, lost updates: ${lostUpdates}, double transitions: 0`,
      );
    }, 300_000);

    it('executes a request once when the same Idempotency-Key reaches different processes at once', async () => {
      const ORDERS_HERE = 20;
      const COPIES = 24;
      let executed = 0;
      let replayed = 0;
      let inProgress = 0;
      for (let n = 0; n < ORDERS_HERE; n++) {
        const { body: created } = await postJson(agent, `${processes[0].url}/orders`, {
          total: 100,
        });
        const id = created.id as number;
        await postJson(agent, `${processes[1].url}/orders/${id}/pay`, { amount: 100 });
        const key = `race-${id}`;
        const copies = await Promise.all(
          Array.from({ length: COPIES }, (_, i) =>
            postJsonWithHeaders(
              agent,
              `${processes[i % PROCESSES].url}/orders/${id}/ship`,
              { carrier: 'UPS', trackingNumber: `1Z${id}` },
              { 'idempotency-key': key, 'x-user-id': 'racer' },
            ),
          ),
        );
        const first = copies.filter(
          (c) => c.status === 200 && c.headers['idempotent-replayed'] !== 'true',
        );
        const replays = copies.filter(
          (c) => c.status === 200 && c.headers['idempotent-replayed'] === 'true',
        );
        const running = copies.filter(
          (c) => c.status === 409 && c.body.reason === 'request-in-progress',
        );
        expect(first).toHaveLength(1);
        expect(replays.length + running.length).toBe(COPIES - 1);
        for (const r of replays) expect(r.body.transition).toEqual(first[0].body.transition);
        const ships = await db.query(
          `SELECT count(*)::int AS n FROM transition_log WHERE "resourceId" = $1 AND event = 'SHIP'`,
          [String(id)],
        );
        expect(ships[0].n).toBe(1);
        const [row] = await db.query('SELECT status, version FROM orders WHERE id = $1', [id]);
        expect(row).toEqual({ status: 'shipped', version: 2 });
        executed += first.length;
        replayed += replays.length;
        inProgress += running.length;
      }
      console.log(
        `postgres idempotency race: ${ORDERS_HERE} keys x ${COPIES} copies over ${PROCESSES} processes: ` +
          `executed ${executed} (once per key), ${replayed} replays, ${inProgress} x 409 request-in-progress, second state changes: 0`,
      );
    }, 120_000);

    it('queues concurrent PAYs on one hot order with pessimistic locking: no 409, no lost update', async () => {
      const PAYS = 400;
      const locked = [
        await startDemoProcess({
          DATABASE_URL: url,
          ORDER_LOCKING: 'pessimistic',
          PLATFORM: 'express',
        }),
        await startDemoProcess({
          DATABASE_URL: url,
          ORDER_LOCKING: 'pessimistic',
          PLATFORM: 'fastify',
        }),
      ];
      try {
        const { body: created } = await postJson(agent, `${locked[0].url}/orders`, {
          total: 1_000_000,
        });
        const id = created.id as number;
        const started = Date.now();
        const answers = await pool(
          Array.from(
            { length: PAYS },
            (_, i) => () => postJson(agent, `${locked[i % 2].url}/orders/${id}/pay`, { amount: 1 }),
          ),
          32,
        );
        const seconds = (Date.now() - started) / 1000;
        const statuses = answers.map((a) => a.status);
        expect(statuses.filter((st) => st !== 200)).toEqual([]);
        const [row] = await db.query('SELECT paid, version FROM orders WHERE id = $1', [id]);
        expect(row).toEqual({ paid: PAYS, version: PAYS });
        const log = await db.query(
          `SELECT count(DISTINCT version)::int AS n FROM transition_log WHERE "resourceId" = $1`,
          [String(id)],
        );
        expect(log[0].n).toBe(PAYS);
        console.log(
          `postgres pessimistic hot row: ${PAYS} PAYs from 32 connections over 2 processes in ${seconds.toFixed(1)} s: ` +
            `${PAYS} x 200, 0 x 409, lost updates: 0`,
        );
      } finally {
        await Promise.all(locked.map(stopDemoProcess));
      }
    }, 120_000);
  });
});
