import { Agent } from 'node:http';
import pg from 'pg';
import { ownServer, type OwnServer } from '../support/pg-database.js';
import { invoiceTables, TIMER } from '../support/invoices.js';
import { postJson } from '../support/post-json.js';
import { pool, startDemoProcess, stopDemoProcess, type DemoProcess } from '../support/processes.js';
import { createTables, type Tables } from '../support/store-tables.js';

/**
 * Timers exactly once under crashes, on PostgreSQL with 4 app processes firing at once: invoices
 * with payment windows of 6 to 14 s (TG_TIMER_CRASH_INVOICES, default 1,500; the 10,000
 * with that variable set), a fifth of them paid within +-50 ms of their deadline; meanwhile one
 * process killed with SIGKILL and restarted every ~3 s, and the database stopped for 5 s.
 * Afterwards: each invoice paid xor expired, one log row each (a unique (resource, id, version)),
 * every expiry by `system:timer` and recorded once by its outbox handler, no timer row left.
 */
const INVOICES = Number(process.env.TG_TIMER_CRASH_INVOICES ?? 1500);
const PROCESSES = 4;
const APP = ['--import', 'tsx', 'test/fault/apps/timer-fault-app.ts'];
const READY = /timers-app on (http:\/\/\S+)/;

const tables: Tables = (d) => [
  ...invoiceTables(d),
  `CREATE TABLE expiries (id ${d.serial}, invoice_id varchar(20) NOT NULL, actor varchar(50) NOT NULL)`,
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('timers under crashes and a database stop (PostgreSQL, 4 processes)', () => {
  let server: OwnServer;
  let db: pg.Pool;
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const processes: (DemoProcess | undefined)[] = [];
  const start = (i: number) =>
    startDemoProcess({ DATABASE_URL: server.url }, APP, undefined, READY).then(
      (p) => (processes[i] = p),
    );

  beforeAll(async () => {
    server = ownServer('postgres');
    await createTables('postgres', server.url, tables);
    db = new pg.Pool({ connectionString: server.url, max: 4 });
    db.on('error', () => undefined); // its idle connections die with the outage
    await Promise.all(Array.from({ length: PROCESSES }, (_, i) => start(i)));
  }, 180_000);

  afterAll(async () => {
    agent.destroy();
    await Promise.all(processes.filter((p) => p !== undefined).map(stopDemoProcess));
    await db?.end();
    server?.stop();
  });

  /** A request to a live process; a killed one's is sent to the next, a 503 (database down) again. */
  const send = async (i: number, path: string, body: object) => {
    for (let attempt = 0; attempt < 400; attempt++) {
      const p = processes[(i + attempt) % PROCESSES];
      try {
        if (!p || p.child.exitCode !== null || p.child.signalCode !== null) throw new Error('down');
        const res = await postJson(agent, `${p.url}${path}`, body);
        if (res.status !== 503) return res;
      } catch {
        // killed under this request, or not yet restarted
      }
      await sleep(50);
    }
    throw new Error(`${path}: no process answered`);
  };
  const one = async <T>(sql: string): Promise<T> => (await db.query(sql)).rows[0] as T;

  it('fires each due timer exactly once, never beside a payment, through kills and an outage', async () => {
    // Windows of 6 to 14 s, armed with each invoice in one transaction. Each due time is read
    // right after its invoice is created: on a slow machine creating them all takes longer than
    // the shortest window, and the first timers fire before the last invoices exist.
    const dues = new Map<string, number>();
    const created = await pool(
      Array.from({ length: INVOICES }, (_, n) => async () => {
        const res = await send(n, '/invoices', { windowMs: 6000 + (n % 41) * 200 });
        if (res.status !== 201)
          throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
        const id = String(res.body.id);
        const { rows } = await db.query(
          `SELECT "dueAtMs" AS due FROM transition_timers WHERE "resourceId" = $1`,
          [id],
        );
        if (rows[0]) dues.set(id, Number(rows[0].due));
        return id;
      }),
      16,
    );
    expect(dues.size).toBe(INVOICES);
    // A fifth of them paid within +-50 ms of the deadline (by this machine's clock, which is the
    // database's: one machine).
    const payers = created.filter((_, n) => n % 5 === 0);
    const payResults: Promise<number>[] = payers.map(async (id, n) => {
      const at = (dues.get(id) ?? 0) + ((n * 37) % 101) - 50;
      await sleep(Math.max(0, at - Date.now()));
      return (await send(n, `/invoices/${id}/pay`, {})).status;
    });
    // The chaos: a kill and restart every ~3 s, the database stopped for 5 s in between.
    let kills = 0;
    const killAndRestart = async (i: number) => {
      processes[i]?.child.kill('SIGKILL');
      kills++;
      await start(i);
    };
    await sleep(1500);
    await killAndRestart(0);
    await sleep(3000);
    const haltedAt = Date.now();
    server.halt();
    await sleep(5000);
    server.resume();
    const downMs = Date.now() - haltedAt;
    await sleep(1000);
    await killAndRestart(1);
    await sleep(3000);
    await killAndRestart(2);
    await sleep(3000);
    await killAndRestart(3);
    const statuses = await Promise.all(payResults);

    // Everything settles: no invoice open, no timer left, every expiry delivered.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const left = await one<{ open: string; timers: string; pending: string }>(
        `SELECT (SELECT count(*) FROM invoices WHERE status = 'open') AS open,
                (SELECT count(*) FROM transition_timers) AS timers,
                (SELECT count(*) FROM transition_outbox WHERE status = 'pending') AS pending`,
      );
      if (Number(left.open) + Number(left.timers) + Number(left.pending) === 0) break;
      if (Date.now() > deadline) throw new Error(`not settled: ${JSON.stringify(left)}`);
      await sleep(200);
    }

    const counts = await one<{ paid: string; expired: string; other: string }>(
      `SELECT count(*) FILTER (WHERE status = 'paid') AS paid,
              count(*) FILTER (WHERE status = 'expired') AS expired,
              count(*) FILTER (WHERE status NOT IN ('paid', 'expired')) AS other FROM invoices`,
    );
    const paid = Number(counts.paid);
    const expired = Number(counts.expired);
    // Paid xor expired: each invoice has exactly one log row, its first version.
    const logs = await one<{
      rows: string;
      bad: string;
      dup: string;
      fired: string;
      byTimer: string;
    }>(
      `SELECT count(*) AS rows,
              (SELECT count(*) FROM (SELECT "resourceId" FROM transition_log GROUP BY 1 HAVING count(*) <> 1) x) AS bad,
              (SELECT count(*) FROM (SELECT "resourceId", version FROM transition_log GROUP BY 1, 2 HAVING count(*) > 1) y) AS dup,
              count(*) FILTER (WHERE event = '${TIMER}') AS fired,
              count(*) FILTER (WHERE event = '${TIMER}' AND actor = 'system:timer' AND version = 1) AS "byTimer"
         FROM transition_log`,
    );
    const effects = await one<{ n: string; distinct: string; actors: string }>(
      `SELECT count(*) AS n, count(DISTINCT invoice_id) AS distinct,
              count(*) FILTER (WHERE actor <> 'system:timer') AS actors FROM expiries`,
    );
    const lateness = (
      await db.query(
        `SELECT (metadata::json->>'lateMs')::int AS late FROM transition_log WHERE event = '${TIMER}' ORDER BY 1`,
      )
    ).rows.map((r: { late: number }) => r.late);
    const pct = (p: number) =>
      lateness[Math.min(lateness.length - 1, Math.floor(p * lateness.length))];
    console.log(
      `timers under crashes: ${INVOICES} invoices, ${kills} SIGKILLs, database down ${downMs} ms: ` +
        `${expired} expired, ${paid} paid (${statuses.filter((s) => s === 200).length} PAY 200, ` +
        `${statuses.filter((s) => s === 409).length} PAY 409); lateness p50 ${pct(0.5)} ms, ` +
        `p99 ${pct(0.99)} ms, max ${lateness.at(-1)} ms`,
    );
    expect(Number(counts.other)).toBe(0);
    expect(paid + expired).toBe(INVOICES);
    expect(statuses.filter((s) => s === 200)).toHaveLength(paid);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    expect(Number(logs.rows)).toBe(INVOICES);
    expect(Number(logs.bad)).toBe(0);
    expect(Number(logs.dup)).toBe(0);
    expect(Number(logs.fired)).toBe(expired);
    expect(Number(logs.byTimer)).toBe(expired);
    expect(Number(effects.n)).toBe(expired);
    expect(Number(effects.distinct)).toBe(expired);
    expect(Number(effects.actors)).toBe(0);
    expect(kills).toBe(4);
    // Both sides of the deadline race happened.
    expect(paid).toBeGreaterThan(0);
    expect(expired).toBeGreaterThan(paid);
  }, 400_000);
});
