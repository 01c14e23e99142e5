/**
 * Per-resource order across relays: 4 demo processes on one PostgreSQL database, each running
 * the outbox relay and publishing order events to Redis (OUTBOX_TRANSPORT); 1,000 orders take
 * 10 transitions each (partial payments, then the last), every transition of an order through
 * another process than the one before. A Redis subscriber, standing for a consumer service,
 * must see each order's versions 1 to 10 ascending, none missing; duplicates (at least once) are
 * counted and removed by id, as an inbox would.
 */
import { Agent } from 'node:http';
import { Redis } from 'ioredis';
import { startRedis, type BrokerServer } from '../support/broker-servers.js';
import { freshDatabase } from '../support/pg-database.js';
import {
  pool,
  postJson,
  startDemoProcesses,
  stopDemoProcess,
  type DemoProcess,
} from '../support/processes.js';

const PROCESSES = 4;
const ORDERS = 1000;
const TRANSITIONS = 10;

describe('the outbox keeps each resource in commit order across 4 relay processes', () => {
  let server: BrokerServer;
  let db: { url: string; stop: () => Promise<void> };
  let subscriber: Redis;
  const processes: DemoProcess[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  /** Versions per order, as they came; ids seen (for duplicates). */
  const versions = new Map<string, number[]>();
  const ids = new Set<string>();
  let duplicates = 0;

  beforeAll(async () => {
    server = await startRedis();
    db = await freshDatabase('outbox_ordering');
    subscriber = new Redis({ host: server.host, port: server.port, lazyConnect: true });
    await subscriber.connect();
    subscriber.on('pmessage', (_pattern: string, _channel: string, raw: string) => {
      // Nest's Redis transport: { pattern, data } on the channel named by the pattern.
      const { data } = JSON.parse(raw) as {
        data: { id: string; subject: string; version: number };
      };
      if (ids.has(data.id)) {
        duplicates++;
        return;
      }
      ids.add(data.id);
      versions.set(data.subject, [...(versions.get(data.subject) ?? []), data.version]);
    });
    await subscriber.psubscribe('order.*');
    const env = {
      DATABASE_URL: db.url,
      OUTBOX_TRANSPORT: `redis://${server.host}:${server.port}`,
      GRAPHQL: 'off',
    };
    processes.push(...(await startDemoProcesses(env, PROCESSES)));
  }, 180_000);

  afterAll(async () => {
    agent.destroy();
    await Promise.all(processes.map(stopDemoProcess));
    subscriber?.disconnect();
    await db?.stop();
    await server?.stop();
  });

  it(`delivers ${ORDERS} orders x ${TRANSITIONS} transitions in each order's version order`, async () => {
    const post = (i: number, path: string, body: object) =>
      postJson(agent, `${processes[i % PROCESSES].url}${path}`, body);
    const started = Date.now();
    const orders = await pool(
      Array.from({ length: ORDERS }, (_, i) => async () => {
        const created = await post(i, '/orders', { total: TRANSITIONS });
        expect(created.status).toBe(201);
        return String(created.body.id);
      }),
      16,
    );
    // Each order's transitions one after another, each through the next process; orders at once.
    await pool(
      orders.map((id, i) => async () => {
        for (let k = 0; k < TRANSITIONS; k++) {
          const paid = await post(i + k, `/orders/${id}/pay`, { amount: 1 });
          expect(paid.status).toBe(200);
        }
      }),
      32,
    );
    const committed = Date.now();
    const deadline = committed + 120_000;
    while (ids.size < ORDERS * TRANSITIONS && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const delivered = Date.now();
    const expected = Array.from({ length: TRANSITIONS }, (_, v) => v + 1);
    const wrong = orders.filter((id) => {
      const got = versions.get(id) ?? [];
      return got.length !== expected.length || got.some((v, i) => v !== expected[i]);
    });
    console.log(
      `outbox ordering: ${ORDERS * TRANSITIONS} transitions committed in ${((committed - started) / 1000).toFixed(1)} s ` +
        `through ${PROCESSES} processes; all published ${((delivered - committed) / 1000).toFixed(1)} s after the last commit; ` +
        `${duplicates} duplicate(s); ${wrong.length} order(s) out of order or incomplete`,
    );
    expect(wrong.map((id) => ({ id, versions: versions.get(id) }))).toEqual([]);
    expect(ids.size).toBe(ORDERS * TRANSITIONS);
  }, 300_000);
});
