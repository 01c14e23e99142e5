import { spawn } from 'node:child_process';
import { DataSource } from 'typeorm';
import { startDemo, type Demo } from '../e2e/demo-harness.js';
import { payWithRetries } from './outage-load.js';

/**
 * SQLite locked by another process (BEGIN EXCLUSIVE, held 2 s) in the middle of a load. The
 * process keeps serving: writes answer 503 after the demo's 100 ms busy timeout instead of
 * blocking the event loop for SQLite's default 5 s per statement; every key still executes once.
 * (A read-only file is not a fault a root process can be given here: root ignores file modes.)
 */
const ORDERS = 8;
const KEYS = 240;

describe('SQLite locked by another process under load', () => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemo('express', { gatewayLatencyMs: 5, idempotencyLeaseSeconds: 2 });
  });
  afterAll(async () => {
    await demo.close();
  });

  it('answers 503 while locked, without stalling, and runs every key once', async () => {
    const orders: number[] = [];
    for (let i = 0; i < ORDERS; i++) {
      orders.push(
        (await demo.http().post('/orders').send({ total: 1_000_000 }).expect(201)).body.id,
      );
    }
    // How long the event loop stalls at worst (better-sqlite3 waits for locks synchronously).
    let lag = 0;
    let last = Date.now();
    const probe = setInterval(() => {
      const now = Date.now();
      lag = Math.max(lag, now - last - 10);
      last = now;
    }, 10);
    const { outcomes } = await payWithRetries({
      url: demo.url,
      orders,
      keys: KEYS,
      concurrency: 8,
      maxTries: 200,
      startAfter: KEYS / 4,
      during: () => holdExclusiveLock(demo.sqliteFile!, 2000),
    });
    clearInterval(probe);
    const all = outcomes.flatMap((o) => o.statuses);
    const count = (s: number) => all.filter((x) => x === s).length;
    console.log(
      `sqlite lock: ${KEYS} keys, ${all.length} requests: ${count(200)} x 200, ${count(503)} x 503, ` +
        `${count(500)} x 500, ${count(409)} x 409 in progress; longest event-loop stall ${lag} ms`,
    );
    expect(count(503)).toBeGreaterThan(0);
    expect(count(500)).toBe(0);
    expect(outcomes.filter((o) => o.final !== 200)).toEqual([]);
    // Far from SQLite's default 5 s wait per statement (the demo waits 50 ms). Not tighter: on
    // a shared 2-core machine, with the other suites running, the probe alone has seen 1.2 s.
    expect(lag).toBeLessThan(2500);

    const db = new DataSource({ type: 'better-sqlite3', database: demo.sqliteFile! });
    await db.initialize();
    try {
      await new Promise((r) => setTimeout(r, 2200));
      expect(
        await db.query(`SELECT key FROM idempotency_keys WHERE status = 'in-progress'`),
      ).toEqual([]);
      for (const id of orders) {
        const n = outcomes.filter((o) => o.order === id).length;
        const [row] = await db.query('SELECT paid, version FROM orders WHERE id = ?', [id]);
        const [log] = await db.query(
          `SELECT count(*) AS rows, count(DISTINCT version) AS versions FROM transition_log WHERE "resourceId" = ?`,
          [String(id)],
        );
        expect({ id, ...row, ...log }).toEqual({ id, paid: n, version: n, rows: n, versions: n });
      }
    } finally {
      await db.destroy();
    }
  }, 120_000);
});

/** Another process takes SQLite's exclusive lock on `file` and holds it for `ms`. */
function holdExclusiveLock(file: string, ms: number): Promise<void> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN EXCLUSIVE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(process.argv[2]));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, file, String(ms)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`lock holder exited with ${String(code)}`));
    });
  });
}
