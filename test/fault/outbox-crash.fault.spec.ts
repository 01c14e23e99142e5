import { Agent } from 'node:http';
import { DataSource } from 'typeorm';
import { freshDatabase } from '../support/pg-database.js';
import {
  pool,
  postJsonWithHeaders,
  startDemoProcess,
  stopDemoProcess,
  type DemoProcess,
} from '../support/processes.js';

/**
 * The transactional outbox under faults, on PostgreSQL with two app processes delivering at
 * once: a few thousand transitions (pay, ship or cancel, with refusals, replays and rollbacks
 * mixed in); one process killed with SIGKILL right after writing a notification, before its
 * message is marked delivered; the notifier failing the first two attempts of every fifth order;
 * an exporter failing every time. Afterwards: every committed PAY, SHIP and CANCEL notified
 * exactly once (delivery.once()), nothing for a refused, rolled-back or replayed request, the
 * exporter's messages dead with their error. Delivery latency and relay throughput are printed.
 */
const ORDERS = 1200;
const CONCURRENCY = 24;
const CRASH_AFTER = 400; // process A kills itself after its 400th notification

const APP = ['--import', 'tsx', 'test/fault/apps/outbox-fault-app.ts'];

describe('the outbox with a process killed mid-delivery and failing handlers (PostgreSQL)', () => {
  let db: DataSource;
  let stopDb: () => Promise<void>;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let a: DemoProcess;
  let b: DemoProcess;

  beforeAll(async () => {
    const fresh = await freshDatabase('tg_outbox_fault');
    if (!fresh) throw new Error('no PostgreSQL');
    stopDb = fresh.stop;
    const env = { DATABASE_URL: fresh.url, NOTIFY_FAIL_FIRST: '2', NOTIFY_FAIL_EVERY: '5' };
    a = await startDemoProcess({ ...env, NOTIFY_CRASH_AFTER: String(CRASH_AFTER) }, APP);
    b = await startDemoProcess(env, APP);
    db = new DataSource({ type: 'postgres', url: fresh.url });
    await db.initialize();
  }, 120_000);

  afterAll(async () => {
    agent.destroy();
    await Promise.all([a, b].filter(Boolean).map(stopDemoProcess));
    await db?.destroy();
    await stopDb?.();
  });

  it('notifies every committed transition exactly once, none for the others, and parks what always fails', async () => {
    const aExit = new Promise<NodeJS.Signals | null>((r) => a.child.once('exit', (_c, s) => r(s)));
    let aDead = false;
    void aExit.then(() => (aDead = true));
    const counts = { refused: 0, rolledBack: 0, replayed: 0, rerouted: 0 };
    /** A request, to A while it lives (half the orders), else to B; retried when A dies or a key is busy. */
    const send = async (id: number, path: string, body: object, key?: string) => {
      let rerouted = false;
      for (let attempt = 0; ; attempt++) {
        const target = id % 2 === 0 && !aDead ? a : b;
        const headers: Record<string, string> = {
          'x-user-id': 'fault-test',
          'x-user-role': 'support',
        };
        if (key) headers['idempotency-key'] = key;
        try {
          const res = await postJsonWithHeaders(agent, `${target.url}${path}`, body, headers);
          if (res.status === 409 && res.body?.code === 'REQUEST_IN_PROGRESS' && attempt < 100) {
            await new Promise((r) => setTimeout(r, 100)); // the dead process's key lease ends
            continue;
          }
          return { ...res, rerouted };
        } catch (err) {
          if (target === b || attempt > 20) throw err;
          rerouted = true;
          counts.rerouted++; // A died under this request: the same request (same key) to B
          await aExit;
        }
      }
    };

    const started = Date.now();
    const ids: number[] = [];
    await pool(
      Array.from({ length: ORDERS }, (_, i) => async () => {
        const created = await send(i, '/orders', { total: 100 });
        expect(created.status).toBe(201);
        ids.push(created.body.id as number);
      }),
      CONCURRENCY,
    );
    let seed = 11;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16) % n;
    await pool(
      ids.map((id) => async () => {
        if (rnd(10) === 0) {
          // Rolled back inside the commit: a 500, nothing committed, nothing to notify.
          const res = await send(id, `/orders/${id}/pay`, {
            amount: 100,
            comment: 'ledger: refuse',
          });
          expect(res.status).toBe(500);
          counts.rolledBack++;
        }
        const paid = await send(id, `/orders/${id}/pay`, { amount: 100 }, `pay-${id}`);
        // The order, or (A died after committing, before storing its answer) the replay of
        // the committed transition.
        expect([paid.status, paid.body?.state ?? paid.body?.transition?.to]).toEqual([200, 'paid']);
        if (rnd(4) === 0) {
          const again = await send(id, `/orders/${id}/pay`, { amount: 100 }, `pay-${id}`);
          expect(again.headers['idempotent-replayed']).toBe('true');
          counts.replayed++;
        }
        const event = rnd(3) === 0 ? 'cancel' : 'ship';
        const body = event === 'ship' ? { carrier: 'UPS', trackingNumber: `1Z${id}` } : {};
        const moved = await send(id, `/orders/${id}/${event}`, body, `${event}-${id}`);
        expect([moved.status, moved.body?.code]).toEqual([200, undefined]);
        if (event === 'ship') {
          const refused = await send(id, `/orders/${id}/cancel`, {});
          expect(refused.status).toBe(409);
          counts.refused++;
          if (rnd(2) === 0) {
            const delivered = await send(id, `/orders/${id}/deliver`, {});
            // Without an Idempotency-Key, a DELIVER that A committed just before it died is
            // refused when sent again to B: the order is delivered already.
            if (delivered.rerouted && delivered.status === 409) {
              expect(delivered.body?.currentState).toBe('delivered');
            } else expect(delivered.status).toBe(200);
          }
        }
      }),
      CONCURRENCY,
    );
    const loadDone = Date.now();
    expect(await aExit).toBe('SIGKILL');

    // B delivers what is left, A's claimed messages once their lease (2 s) ends.
    const q = async (sql: string) => (await db.query(sql)) as Record<string, unknown>[];
    const pendingCount = async () =>
      Number(
        (await q(`SELECT count(*) AS n FROM transition_outbox WHERE status = 'pending'`))[0].n,
      );
    for (let i = 0; i < 600 && (await pendingCount()) > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await pendingCount()).toBe(0);
    const drained = Date.now();

    const committed = await q(
      `SELECT "transitionId", event, "resourceId" FROM transition_log WHERE resource = 'order'`,
    );
    const notified = await q(`SELECT "transitionId", event FROM notifications`);
    const toNotify = committed.filter((c) => ['PAY', 'SHIP', 'CANCEL'].includes(String(c.event)));
    const byTransition = new Map<string, number>();
    for (const n of notified) {
      byTransition.set(String(n.transitionId), (byTransition.get(String(n.transitionId)) ?? 0) + 1);
    }
    // Every committed PAY, SHIP and CANCEL: exactly one notification.
    const missing = toNotify.filter((c) => byTransition.get(String(c.transitionId)) !== 1);
    expect(missing).toEqual([]);
    // None for anything else (refused, rolled back, replayed, DELIVER): no notification without
    // a committed transition of those events.
    expect(notified.length).toBe(toNotify.length);
    // One PAY per order in the log: rollbacks and replays committed nothing.
    const pays = committed.filter((c) => c.event === 'PAY');
    expect(pays.length).toBe(ids.length);
    expect(new Set(pays.map((p) => p.resourceId)).size).toBe(ids.length);
    // The exporter's messages: dead, one per committed CANCEL, with the error.
    const dead = await q(
      `SELECT handler, attempts, "lastError" FROM transition_outbox WHERE status = 'dead'`,
    );
    const cancels = committed.filter((c) => c.event === 'CANCEL').length;
    expect(dead.length).toBe(cancels);
    expect(
      dead.every(
        (d) =>
          d.handler === 'Exporter.export' &&
          d.attempts === 5 &&
          d.lastError === 'Error: export endpoint answered 503',
      ),
    ).toBe(true);
    // The crash landed between a notification's write and its message's completion: B got that
    // message again and delivery.once() skipped it.
    const stats = await fetch(`${b.url}/fault/stats`).then(
      (r) => r.json() as Promise<{ skipped: number }>,
    );
    expect(stats.skipped).toBeGreaterThanOrEqual(1);

    // Latency from commit to notification, for orders without injected failures.
    const latencies = (
      await q(`SELECT l."resourceId", l.at,
          EXTRACT(EPOCH FROM n."sentAt" AT TIME ZONE current_setting('TimeZone')) * 1000 AS sent
        FROM notifications n JOIN transition_log l ON l."transitionId" = n."transitionId"`)
    )
      .filter((r) => Number(r.resourceId) % 5 !== 0)
      .map((r) => Number(r.sent) - new Date(String(r.at)).getTime())
      .sort((x, y) => x - y);
    const pct = (p: number) => Math.round(latencies[Math.floor((latencies.length - 1) * p)]);
    // Relay throughput on a backlog: 2,000 messages at once for the surviving process's relay
    // (batches of 20, each notification written in its own transaction with its handled mark).
    const BACKLOG = 2000;
    const record = (n: number) =>
      JSON.stringify({
        transitionId: `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`,
        resource: 'order',
        resourceId: String(1_000_000 + n),
        event: 'CANCEL',
        from: 'pending',
        to: 'cancelled',
        version: 1,
        actor: 'system:backlog',
        at: new Date().toISOString(),
        reason: null,
        comment: null,
        metadata: null,
        machineVersion: 'backlog',
        correlationId: null,
      });
    const backlogAt = Date.now();
    await db.query(
      `INSERT INTO transition_outbox ("transitionId", handler, "resourceKey", record, payload, status, attempts, "availableAtMs", "lockedUntilMs", "createdAtMs")
       SELECT '00000000-0000-4000-9000-' || lpad(n::text, 12, '0'), 'Notifier.notify', 'order:' || (1000000 + n), r, '{}', 'pending', 0, $1, 0, $1
       FROM unnest($2::text[]) WITH ORDINALITY AS t(r, n)`,
      [backlogAt, Array.from({ length: BACKLOG }, (_, i) => record(i + 1))],
    );
    for (let i = 0; i < 1200 && (await pendingCount()) > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const backlogSeconds = (Date.now() - backlogAt) / 1000;
    expect(await pendingCount()).toBe(0);
    const backlogNotified = Number(
      (
        await q(
          `SELECT count(DISTINCT "transitionId") AS n FROM notifications WHERE "orderId" >= 1000000`,
        )
      )[0].n,
    );
    expect(backlogNotified).toBe(BACKLOG);

    console.log(
      `outbox on PostgreSQL, 2 processes: ${committed.length} transitions committed, ${notified.length} notifications ` +
        `(each once; ${stats.skipped} redelivery skipped by once() after the SIGKILL), ${dead.length} dead letters; ` +
        `${counts.refused} refused, ${counts.rolledBack} rolled back, ${counts.replayed} replayed, ${counts.rerouted} rerouted after the crash; ` +
        `load ${((loadDone - started) / 1000).toFixed(1)} s, drained ${((drained - loadDone) / 1000).toFixed(1)} s later; ` +
        `delivery latency (orders without injected failures) p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms; ` +
        `relay throughput on a backlog of ${BACKLOG} (one process): ${Math.round(BACKLOG / backlogSeconds)} deliveries/s`,
    );
  }, 300_000);
});
