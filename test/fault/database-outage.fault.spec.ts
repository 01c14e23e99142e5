import { DATABASE_NAMES, tierDatabases } from '../support/databases.js';
import { ownServer, type OwnServer } from '../support/pg-database.js';
import { rawSql, type RawSql } from '../support/raw-sql.js';
import { startDemo, type Demo } from '../e2e/demo-harness.js';
import { payWithRetries } from './outage-load.js';

/**
 * The database stopped in the middle of a load (PostgreSQL: pg_ctl stop -m fast; MariaDB:
 * mariadb-admin shutdown), then started again. Clients retry every 5xx with the same
 * Idempotency-Key. During the outage the API answers 503, never 500; afterwards every key
 * executed exactly once, no key is left in progress past its lease, and each order's row,
 * versions and transition log agree.
 */
const ORDERS = 12;
const KEYS = 480;
const LEASE_SECONDS = 2;

describe.each(tierDatabases('postgres', 'mysql'))('an outage under load on %s', (kind) => {
  const name = DATABASE_NAMES[kind];
  let server: OwnServer;
  let demo: Demo;
  let db: RawSql;
  beforeAll(async () => {
    server = ownServer(kind);
    demo = await startDemo('express', {
      [kind]: server.url,
      gatewayLatencyMs: 15,
      idempotencyLeaseSeconds: LEASE_SECONDS,
    });
  }, 60_000);
  afterAll(async () => {
    await demo?.close();
    await db?.end();
    server?.stop();
  });

  it('answers 503 while it is down, runs every key once, leaves nothing stuck or inconsistent', async () => {
    const orders: number[] = [];
    for (let i = 0; i < ORDERS; i++) {
      orders.push(
        (await demo.http().post('/orders').send({ total: 1_000_000 }).expect(201)).body.id,
      );
    }
    let downFor = 0;
    const { outcomes } = await payWithRetries({
      url: demo.url,
      orders,
      keys: KEYS,
      concurrency: 16,
      maxTries: 200,
      startAfter: KEYS / 4,
      during: async () => {
        const t0 = Date.now();
        server.halt();
        await new Promise((r) => setTimeout(r, 2500));
        server.resume();
        downFor = Date.now() - t0;
      },
    });
    const all = outcomes.flatMap((o) => o.statuses);
    const count = (s: number) => all.filter((x) => x === s).length;
    console.log(
      `${name} outage: ${KEYS} keys, ${all.length} requests, down ${downFor} ms: ` +
        `${count(200)} x 200, ${count(503)} x 503, ${count(500)} x 500, ${count(409)} x 409 (in progress), ` +
        `${outcomes.filter((o) => o.statuses.length === 1).length} keys done at the first try; ` +
        `most tries for one key: ${Math.max(...outcomes.map((o) => o.statuses.length))}`,
    );
    // The outage was seen, as 503s, never as 500s.
    expect(count(503)).toBeGreaterThan(0);
    expect(count(500)).toBe(0);
    // Every key ended with a 200: its first execution, or the replay of it.
    expect(
      outcomes.filter((o) => o.final !== 200).map((o) => `${o.key}: ${o.statuses.join(',')}`),
    ).toEqual([]);

    // Invariants, read straight from the database.
    db = rawSql(kind, server.url);
    const { q, p } = db;
    // No key left in progress once its lease has passed.
    await new Promise((r) => setTimeout(r, LEASE_SECONDS * 1000 + 200));
    const stuck = await db.query(
      `SELECT ${q('key')} FROM idempotency_keys WHERE status = 'in-progress'`,
    );
    expect(stuck).toEqual([]);
    for (const id of orders) {
      const keysOfOrder = outcomes.filter((o) => o.order === id).length;
      const [row] = await db.query<{ paid: number; version: number; status: string }>(
        `SELECT paid, version, status FROM orders WHERE id = ${p(1)}`,
        [id],
      );
      const log = await db.query<{ version: number }>(
        `SELECT version FROM transition_log WHERE resource = 'order' AND ${q('resourceId')} = ${p(1)} ORDER BY version`,
        [String(id)],
      );
      // Each key executed exactly once: paid counts them, the version too, one log row each.
      expect({ id, paid: row.paid, version: row.version, state: row.status }).toEqual({
        id,
        paid: keysOfOrder,
        version: keysOfOrder,
        state: 'pending',
      });
      expect(log.map((l) => l.version)).toEqual(
        Array.from({ length: keysOfOrder }, (_, i) => i + 1),
      );
    }
  }, 180_000);
});
