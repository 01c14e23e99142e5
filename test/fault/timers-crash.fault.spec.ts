import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { ownServer, type OwnServer } from '../support/pg-database.js';
import { PAYMENT_WINDOW_EXPIRED } from '../../machines/order.machine.js';
import { invoiceTables, TIMER } from '../support/invoices.js';
import { generatedClient } from '../support/prisma-client.js';
import { postJson } from '../support/post-json.js';
import { pool, startDemoProcess, stopDemoProcess, type DemoProcess } from '../support/processes.js';
import { createTables, type Tables } from '../support/store-tables.js';

/**
 * Timers exactly once under crashes: invoices with payment windows of 6 to 14 s
 * (TG_TIMER_CRASH_INVOICES, default 1,500; the issue's 10,000 with that variable set), a fifth of
 * them paid within +-50 ms of their deadline; meanwhile one process killed with SIGKILL and
 * restarted every ~3 s. On PostgreSQL 4 app processes fire at once and the database is stopped
 * for 5 s; on SQLite 2 processes share one file (WAL; a lock held too long is a 503, retried).
 * Afterwards: each invoice paid xor expired, one log row each (a unique (resource, id, version)),
 * every expiry by `system:timer` and recorded once by its outbox handler, no timer row left.
 */
const INVOICES = Number(process.env.TG_TIMER_CRASH_INVOICES ?? 1500);
const SHORTEST_WINDOW_MS = 6000;

/** A PAY sent at the deadline: its answer, and whether an earlier attempt's answer was lost. */
interface Payment {
  readonly id: string;
  readonly status: number;
  readonly inDoubt: boolean;
}

/** `count(*) FILTER (WHERE ...)` on both databases. */
const countIf = (condition: string) => `sum(CASE WHEN ${condition} THEN 1 ELSE 0 END)`;

/** What a run's app is: its process, its resource's table and states, its two routes. */
interface Subject {
  readonly app: readonly string[];
  readonly ready: RegExp;
  readonly env: Record<string, string>;
  /** Created before the first start; without, the first process creates the schema alone. */
  readonly tables?: Tables;
  readonly table: string;
  readonly states: { readonly open: string; readonly paid: string; readonly expired: string };
  /** The event the window's timer sends. */
  readonly timer: string;
  /** The route and body creating a row with a window of `windowMs` (if it takes one). */
  create(windowMs: number): { path: string; body: object };
  /**
   * When rows take no window (the app has one): a row asked a window of `windowMs` is created
   * `windowMs` minus the shortest (6 s) after the first, so that due times spread the same.
   */
  readonly fixedWindow?: boolean;
  pay(id: string): { path: string; body: object };
  /** Counts the expiries' effects: `n` rows for `distinct` ids, `actors` not by the timer. */
  readonly effects: string;
}

/** The invoices app: windows per invoice, expiries recorded by an `@OnTransition` handler. */
const invoices: Subject = {
  app: ['--import', 'tsx', 'test/fault/apps/timer-fault-app.ts'],
  ready: /timers-app on (http:\/\/\S+)/,
  env: {},
  tables: (d) => [
    ...invoiceTables(d),
    `CREATE TABLE expiries (id ${d.serial}, invoice_id varchar(20) NOT NULL, actor varchar(50) NOT NULL)`,
  ],
  table: 'invoices',
  states: { open: 'open', paid: 'paid', expired: 'expired' },
  timer: TIMER,
  create: (windowMs) => ({ path: '/invoices', body: { windowMs } }),
  pay: (id) => ({ path: `/invoices/${id}/pay`, body: {} }),
  effects: `SELECT count(*) AS n, count(DISTINCT invoice_id) AS "distinct",
                   ${countIf(`actor <> 'system:timer'`)} AS actors FROM expiries`,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The test's own reads of the database: the first row of a query. */
type Reader = { one<T>(sql: string, params?: unknown[]): Promise<T>; close(): Promise<void> };

/** The database of one run: PostgreSQL (its own server, which the test stops) or a SQLite file. */
interface Setup {
  readonly processes: number;
  readonly env: Record<string, string>;
  readonly reader: Reader;
  /** Stops the database for `ms` (PostgreSQL); resolves with how long it was down. */
  outage?(ms: number): Promise<number>;
  close(): Promise<void>;
}

async function postgresSetup(tables?: Tables): Promise<Setup> {
  const server: OwnServer = ownServer('postgres');
  if (tables) await createTables('postgres', server.url, tables);
  const pool = new pg.Pool({ connectionString: server.url, max: 4 });
  pool.on('error', () => undefined); // its idle connections die with the outage
  return {
    processes: 4,
    env: { DATABASE_URL: server.url },
    reader: {
      one: async <T>(sql: string, params: unknown[] = []) =>
        (await pool.query(sql, params)).rows[0] as T,
      close: () => pool.end(),
    },
    outage: async (ms) => {
      const haltedAt = Date.now();
      server.halt();
      await sleep(ms);
      server.resume();
      return Date.now() - haltedAt;
    },
    close: async () => {
      await pool.end().catch(() => undefined);
      server.stop();
    },
  };
}

async function sqliteSetup(tables: Tables): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-timers-crash-'));
  const file = join(dir, 'invoices.sqlite');
  await createTables('sqlite', file, tables);
  const db = new Database(file, { readonly: true, timeout: 5000 });
  return {
    processes: 2,
    env: { SQLITE_FILE: file },
    reader: {
      one: <T>(sql: string, params: unknown[] = []) =>
        Promise.resolve(db.prepare(sql).get(...params) as T),
      close: () => Promise.resolve(void db.close()),
    },
    close: () => {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

/** The app processes of one run on its database: started, killed, restarted, asked. */
class Cluster {
  readonly processes: (DemoProcess | undefined)[] = [];
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 32 });

  constructor(
    readonly setup: Setup,
    readonly subject: Subject,
  ) {}

  /** Starts every process; the first alone when it creates the schema. */
  async startAll(): Promise<number[]> {
    const first = this.subject.tables ? [] : [await this.start(0)];
    const rest = Array.from({ length: this.size - first.length }, (_, i) =>
      this.start(i + first.length),
    );
    return [...first, ...(await Promise.all(rest))];
  }

  get size(): number {
    return this.setup.processes;
  }

  /** Starts process `i`; resolves with the time it listened. */
  async start(i: number): Promise<number> {
    const { app, ready, env } = this.subject;
    this.processes[i] = await startDemoProcess(
      { ...this.setup.env, ...env },
      app,
      undefined,
      ready,
    );
    return Date.now();
  }

  kill(i: number): void {
    this.processes[i]?.child.kill('SIGKILL');
    this.processes[i] = undefined;
  }

  /**
   * A request to a live process; a killed one's is sent to the next, a 503 (database down) again.
   * `inDoubt`: an earlier attempt reached a process and got no answer or a 503, so it may have
   * committed (the answer that counts is then the retry's: a 409 for a PAY already made).
   */
  async send(i: number, path: string, body: object) {
    let inDoubt = false;
    for (let attempt = 0; attempt < 400; attempt++) {
      const p = this.processes[(i + attempt) % this.size];
      let posted = false;
      try {
        if (!p || p.child.exitCode !== null || p.child.signalCode !== null) throw new Error('down');
        posted = true;
        const res = await postJson(this.agent, `${p.url}${path}`, body);
        if (res.status !== 503) return { ...res, inDoubt };
      } catch {
        // killed under this request, or not yet restarted
      }
      if (posted) inDoubt = true;
      await sleep(50);
    }
    throw new Error(`${path}: no process answered`);
  }

  one<T>(sql: string, params: unknown[] = []): Promise<T> {
    return this.setup.reader.one(sql, params);
  }

  /**
   * Creates `count` invoices (the window of the n-th: `windowMs(n)`), each with its timer, and
   * reads each one's due time right after creating it: on a slow machine creating them all takes
   * longer than the shortest window, and the first timers fire before the last invoices exist.
   */
  async createInvoices(count: number, windowMs: (n: number) => number) {
    const placeholder = this.setup.outage ? '$1' : '?';
    const dues = new Map<string, number>();
    const { fixedWindow } = this.subject;
    const started = Date.now();
    const ids = await pool(
      Array.from({ length: count }, (_, n) => async () => {
        if (fixedWindow) await sleep(started + windowMs(n) - SHORTEST_WINDOW_MS - Date.now());
        const { path, body } = this.subject.create(windowMs(n));
        const res = await this.send(n, path, body);
        if (res.status !== 201)
          throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
        const id = String(res.body.id);
        const timer = await this.one<{ due: string } | undefined>(
          `SELECT "dueAtMs" AS due FROM transition_timers WHERE "resourceId" = ${placeholder}`,
          [id],
        );
        if (timer) dues.set(id, Number(timer.due));
        return id;
      }),
      16,
    );
    expect(dues.size).toBe(count);
    return { ids, dues };
  }

  /** PAYs each invoice `offsetMs(n)` from its due time (by this machine's clock: the database's). */
  pay(
    ids: readonly string[],
    dues: ReadonlyMap<string, number>,
    offsetMs: (n: number) => number,
  ): Promise<Payment>[] {
    return ids.map(async (id, n) => {
      await sleep(Math.max(0, (dues.get(id) ?? 0) + offsetMs(n) - Date.now()));
      const { path, body } = this.subject.pay(id);
      const { status, inDoubt } = await this.send(n, path, body);
      return { id, status, inDoubt };
    });
  }

  /** Waits until no invoice is open, no timer is left and every expiry is delivered. */
  async settled(): Promise<void> {
    const {
      table,
      states: { open },
    } = this.subject;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const left = await this.one<{ open: string; timers: string; pending: string }>(
        `SELECT (SELECT count(*) FROM ${table} WHERE status = '${open}') AS open,
                (SELECT count(*) FROM transition_timers) AS timers,
                (SELECT count(*) FROM transition_outbox WHERE status = 'pending') AS pending`,
      );
      if (Number(left.open) + Number(left.timers) + Number(left.pending) === 0) return;
      if (Date.now() > deadline) throw new Error(`not settled: ${JSON.stringify(left)}`);
      await sleep(200);
    }
  }

  /**
   * Checks every invoice so far (`total`) is paid xor expired, with one log row each (its first
   * version), each expiry by `system:timer` and recorded once by its outbox handler; that each PAY
   * answered 200 paid its invoice, and no more were paid than those plus the 409s that followed a
   * lost answer. Resolves with the counts.
   */
  async ledger(total: number, payments: readonly Payment[], paidBefore = 0) {
    const { table, states, timer } = this.subject;
    const counts = await this.one<{ paid: string; expired: string; other: string }>(
      `SELECT ${countIf(`status = '${states.paid}'`)} AS paid,
              ${countIf(`status = '${states.expired}'`)} AS expired,
              ${countIf(`status NOT IN ('${states.paid}', '${states.expired}')`)} AS other FROM ${table}`,
    );
    const paid = Number(counts.paid);
    const expired = Number(counts.expired);
    const logs = await this.one<{
      rows: string;
      bad: string;
      dup: string;
      fired: string;
      byTimer: string;
    }>(
      `SELECT count(*) AS rows,
              (SELECT count(*) FROM (SELECT "resourceId" FROM transition_log GROUP BY 1 HAVING count(*) <> 1) x) AS bad,
              (SELECT count(*) FROM (SELECT "resourceId", version FROM transition_log GROUP BY 1, 2 HAVING count(*) > 1) y) AS dup,
              ${countIf(`event = '${timer}'`)} AS fired,
              ${countIf(`event = '${timer}' AND actor = 'system:timer' AND version = 1`)} AS "byTimer"
         FROM transition_log`,
    );
    const effects = await this.one<{ n: string; distinct: string; actors: string }>(
      this.subject.effects,
    );
    expect(Number(counts.other)).toBe(0);
    expect(paid + expired).toBe(total);
    // Each PAY answered 200 paid its invoice; a 409 is an invoice expired first, or paid by an
    // attempt whose answer was lost (the process killed, or a 503 while the database was down).
    expect(payments.every((p) => p.status === 200 || p.status === 409)).toBe(true);
    const answered = payments.filter((p) => p.status === 200);
    const { ids } = await this.one<{ ids: string | null }>(
      `SELECT ${this.joined('CAST(id AS text)')} AS ids FROM ${table} WHERE status = '${states.paid}'`,
    );
    const paidIds = new Set((ids ?? '').split(','));
    expect(answered.filter((p) => !paidIds.has(p.id))).toEqual([]);
    expect(paid - paidBefore).toBeGreaterThanOrEqual(answered.length);
    expect(paid - paidBefore).toBeLessThanOrEqual(
      answered.length + payments.filter((p) => p.status === 409 && p.inDoubt).length,
    );
    expect(Number(logs.rows)).toBe(total);
    expect(Number(logs.bad)).toBe(0);
    expect(Number(logs.dup)).toBe(0);
    expect(Number(logs.fired)).toBe(expired);
    expect(Number(logs.byTimer)).toBe(expired);
    expect(Number(effects.n)).toBe(expired);
    expect(Number(effects.distinct)).toBe(expired);
    expect(Number(effects.actors)).toBe(0);
    return { paid, expired };
  }

  private get onPostgres(): boolean {
    return this.setup.outage !== undefined;
  }

  /** An aggregate joining `text` over the rows with commas, in this run's SQL. */
  private joined(text: string): string {
    return `${this.onPostgres ? 'string_agg' : 'group_concat'}(${text}, ',')`;
  }

  /** The firings' log rows: the invoice, when it committed (ms), how late its timer was claimed. */
  async firings(): Promise<{ id: string; at: number; lateMs: number }[]> {
    const lateMs = this.onPostgres
      ? `(metadata::json->>'lateMs')::int`
      : `CAST(json_extract(metadata, '$.lateMs') AS INTEGER)`;
    const { rows } = await this.one<{ rows: string | null }>(
      `SELECT ${this.joined(`"resourceId" || ' ' || at || ' ' || CAST(${lateMs} AS text)`)} AS rows
         FROM transition_log WHERE event = '${this.subject.timer}'`,
    );
    return (rows ?? '')
      .split(',')
      .filter((row) => row !== '')
      .map((row) => {
        const [id, at, late] = row.split(' ');
        return { id, at: Date.parse(at), lateMs: Number(late) };
      });
  }

  async close(): Promise<void> {
    this.agent.destroy();
    await Promise.all(this.processes.filter((p) => p !== undefined).map(stopDemoProcess));
    await this.setup.close();
  }
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

const DATABASES = [
  ['PostgreSQL', postgresSetup],
  ['SQLite', sqliteSetup],
] as const;

/**
 * One crash run: `count` rows created (windows of 6 to 14 s where the app takes one), a fifth of
 * them paid within +-50 ms of the deadline, while one process is killed with SIGKILL and restarted
 * every ~3 s and (PostgreSQL) the database stopped for 5 s in between; then the ledger checked.
 */
async function crashRun(cluster: Cluster, count: number, label: string): Promise<void> {
  const { ids, dues } = await cluster.createInvoices(
    count,
    (n) => SHORTEST_WINDOW_MS + (n % 41) * 200,
  );
  const payments = cluster.pay(
    ids.filter((_, n) => n % 5 === 0),
    dues,
    (n) => ((n * 37) % 101) - 50,
  );
  let kills = 0;
  const killAndRestart = async (i: number) => {
    cluster.kill(i);
    kills++;
    await cluster.start(i);
  };
  await sleep(1500);
  await killAndRestart(0);
  await sleep(3000);
  const downMs = cluster.setup.outage ? await cluster.setup.outage(5000) : 0;
  await sleep(1000);
  // Each process once more, one every ~3 s: 4 kills in all.
  for (let k = 1; k < 4; k++) {
    await killAndRestart(k % cluster.size);
    if (k < 3) await sleep(3000);
  }
  const paying = await Promise.all(payments);
  const statuses = paying.map((p) => p.status);
  await cluster.settled();

  const { paid, expired } = await cluster.ledger(count, paying);
  const lateness = (await cluster.firings()).map((f) => f.lateMs).sort((a, b) => a - b);
  console.log(
    `timers under crashes (${label}, ${cluster.size} processes): ${count} rows, ${kills} SIGKILLs, database down ${downMs} ms: ` +
      `${expired} expired, ${paid} paid (${statuses.filter((s) => s === 200).length} PAY 200, ` +
      `${statuses.filter((s) => s === 409).length} PAY 409, ${paying.filter((p) => p.inDoubt).length} retried after a lost answer); lateness p50 ${percentile(lateness, 0.5)} ms, ` +
      `p99 ${percentile(lateness, 0.99)} ms, max ${lateness.at(-1)} ms`,
  );
  expect(kills).toBe(4);
  // Both sides of the deadline race happened.
  expect(paid).toBeGreaterThan(0);
  expect(expired).toBeGreaterThan(paid);
}

describe.each(DATABASES)('timers under crashes (%s)', (name, setUp) => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = new Cluster(await setUp(invoices.tables!), invoices);
    await cluster.startAll();
  }, 180_000);
  afterAll(() => cluster?.close());

  it(
    'fires each due timer exactly once, never beside a payment, through kills (and an outage)',
    () => crashRun(cluster, INVOICES, name),
    400_000,
  );
});

/**
 * The same run on the demo's orders with their stores on each other ORM (`ORM=prisma|drizzle|
 * mikro-orm`), on PostgreSQL: a 12 s payment window (PAYMENT_WINDOW) armed with each order, the
 * orders created over 8 s (due while processes are killed and the database stopped), the
 * expiries notified once each through that ORM's outbox (the demo's `Notifier`), the demo's own
 * timings (1 s polls, 30 s leases: a killed process's claims wait for theirs).
 */
const ORDERS = Number(process.env.TG_TIMER_CRASH_ORDERS ?? 600);
const ormOrders = (orm: string): Subject => ({
  app: ['--import', 'tsx', 'examples/orders-api/src/main.ts'],
  ready: /orders-api on (http:\/\/\S+)/,
  env: { ORM: orm, PAYMENT_WINDOW: '12' },
  fixedWindow: true,
  table: 'orders',
  states: { open: 'pending', paid: 'paid', expired: 'cancelled' },
  timer: PAYMENT_WINDOW_EXPIRED,
  create: () => ({ path: '/orders', body: { total: 100 } }),
  pay: (id) => ({ path: `/orders/${id}/pay`, body: { amount: 100 } }),
  effects: `SELECT count(*) AS n, count(DISTINCT "orderId") AS "distinct", 0 AS actors
              FROM notifications WHERE event = '${PAYMENT_WINDOW_EXPIRED}'`,
});

describe.each(['prisma', 'drizzle', 'mikro-orm'])(
  'timers under crashes (ORM=%s, PostgreSQL)',
  (orm) => {
    let cluster: Cluster;

    beforeAll(async () => {
      if (orm === 'prisma') generatedClient('postgresql');
      cluster = new Cluster(await postgresSetup(), ormOrders(orm));
      await cluster.startAll();
    }, 180_000);
    afterAll(() => cluster?.close());

    it(
      'fires each due timer exactly once through kills and an outage',
      () => crashRun(cluster, ORDERS, `ORM=${orm}, PostgreSQL`),
      400_000,
    );
  },
);

/**
 * The issue's other two runs, on the same databases: every invoice's PAY sent within +-50 ms of
 * its deadline (TG_TIMER_RACE_INVOICES, default 5,000), then every process down for 60 s
 * (TG_TIMER_DOWN_MS) while the windows of 50 more run out (TG_TIMER_RESTART_INVOICES), and each
 * of those overdue timers fired within 2 s of the first process back. (On this 2-core machine,
 * 4 processes just started, cold, with their outbox relays busy too, fire 80 to 300 timers a
 * second: on a quiet machine 100 took 1.2 s (after a 5 s stop) and 250 took 1.7 s; in a CI run
 * with other suites beside it 250 took 3.1 s; 400 took 2.2 to 3.2 s.)
 */
const RACE_INVOICES = Number(process.env.TG_TIMER_RACE_INVOICES ?? 5000);
const DOWN_MS = Number(process.env.TG_TIMER_DOWN_MS ?? 60_000);
const RESTART_INVOICES = Number(process.env.TG_TIMER_RESTART_INVOICES ?? 50);

describe.each(DATABASES)('timers at the deadline and after downtime (%s)', (name, setUp) => {
  let cluster: Cluster;
  let paidBefore = 0;

  beforeAll(async () => {
    cluster = new Cluster(await setUp(invoices.tables!), invoices);
    await cluster.startAll();
  }, 180_000);
  afterAll(() => cluster?.close());

  it('ends each invoice paid xor expired when its PAY arrives within +-50 ms of the deadline', async () => {
    // Windows of 10 to 20 s: the PAYs spread over 10 s once every invoice exists.
    const { ids, dues } = await cluster.createInvoices(
      RACE_INVOICES,
      (n) => 10_000 + (n % 101) * 100,
    );
    const payments = await Promise.all(cluster.pay(ids, dues, (n) => ((n * 37) % 101) - 50));
    await cluster.settled();
    const { paid, expired } = await cluster.ledger(RACE_INVOICES, payments);
    console.log(
      `timers at the deadline (${name}, ${cluster.size} processes): ${RACE_INVOICES} PAYs within +-50 ms of the due time: ${paid} paid, ${expired} expired`,
    );
    // Both sides won some.
    expect(paid).toBeGreaterThan(0);
    expect(expired).toBeGreaterThan(0);
    paidBefore = paid;
  }, 400_000);

  it(
    `fires every overdue timer within 2 s of the first process back after ${DOWN_MS / 1000} s with none`,
    async () => {
      const { ids, dues } = await cluster.createInvoices(
        RESTART_INVOICES,
        (n) => 2000 + (n % 10) * 100,
      );
      for (let i = 0; i < cluster.size; i++) cluster.kill(i);
      const downAt = Date.now();
      await sleep(DOWN_MS);
      const back = await Promise.all(
        Array.from({ length: cluster.size }, (_, i) => cluster.start(i)),
      );
      const firstBack = Math.min(...back);
      await cluster.settled();

      // Every one of them was overdue when the first process came back, and expired.
      expect(Math.max(...dues.values())).toBeLessThan(firstBack);
      const mine = new Set(ids);
      const fired = (await cluster.firings()).filter((f) => mine.has(f.id));
      expect(fired).toHaveLength(RESTART_INVOICES);
      const afterBack = fired.map((f) => f.at - firstBack).sort((a, b) => a - b);
      console.log(
        `timers after downtime (${name}, ${cluster.size} processes): ${RESTART_INVOICES} overdue after ${firstBack - downAt} ms with no process; ` +
          `fired ${afterBack[0]} to ${afterBack.at(-1)} ms after the first process was back (p50 ${percentile(afterBack, 0.5)} ms)`,
      );
      expect(afterBack.at(-1)).toBeLessThanOrEqual(2000);
      await cluster.ledger(RACE_INVOICES + RESTART_INVOICES, [], paidBefore);
    },
    DOWN_MS + 300_000,
  );
});
