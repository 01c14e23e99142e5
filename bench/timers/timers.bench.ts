/**
 * `npm run bench:timers`: durable `after` timers.
 * - arming's cost: the same commit (`TransitionService.send`, EXTEND re-entering `open`, TypeORM
 *   with the log) on a resource whose machine has a payment window (disarm and re-arm a timer in
 *   the commit's transaction) and on one without, paired rounds in one process, SQLite and
 *   PostgreSQL: µs per commit and the ratio;
 * - firing on PostgreSQL with 4 app processes of their own (test/fault/apps/timer-fault-app.ts:
 *   polls every 100 ms, one outbox message per expiry): a backlog due at once (timers/s from its
 *   due time to the last firing), then timers falling due at a steady rate (lateness p50, p99 from
 *   the log rows' `metadata.lateMs`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { setup } from 'xstate';
import { defineResource, TransitionGuardModule, TransitionService } from '../../src/index.js';
import {
  TransitionLogEntry,
  TransitionTimerEntry,
  TypeOrmTimerStore,
  TypeOrmTransitionStore,
} from '../../src/store/typeorm/index.js';
import { invoice, Invoice, invoiceTables, TIMER } from '../../test/support/invoices.js';
import { freshDatabase } from '../../test/support/pg-database.js';
import { startDemoProcess, stopDemoProcess } from '../../test/support/processes.js';
import { createTables, type Tables } from '../../test/support/store-tables.js';
import { describeMachineInfo, machineInfo } from '../machine-info.js';
import { postgres } from '../servers.js';

const QUICK = process.env.BENCH_QUICK === '1';
const COMMITS = QUICK ? 300 : 1000;
const ROUNDS = QUICK ? 3 : 7;
const BACKLOG = QUICK ? 1000 : 5000;
const STEADY_SECONDS = QUICK ? 3 : 10;
const STEADY_RATE = 200;

export interface ArmingRow {
  readonly database: string;
  readonly plainUs: number;
  readonly timedUs: number;
}

export interface FiringRow {
  readonly processes: number;
  readonly backlog: number;
  readonly perSecond: number;
  readonly steady: number;
  readonly lateP50Ms: number;
  readonly lateP99Ms: number;
  readonly pollMs: number;
}

/** The same invoice machine without its payment window. */
const plainMachine = setup({
  types: {} as { events: { type: 'PAY' } | { type: 'EXTEND' } | { type: 'REFUND' } },
}).createMachine({
  id: 'plain',
  initial: 'open',
  states: {
    open: { on: { PAY: 'paid', EXTEND: { target: 'open', reenter: true } } },
    paid: { on: { REFUND: 'refunded' } },
    refunded: { type: 'final' },
  },
});

@Injectable()
class PlainInvoiceStore extends TypeOrmTransitionStore<Invoice> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, {
      entity: Invoice,
      name: 'plain',
      stateProperty: 'status',
      versionProperty: 'version',
      contextProperties: ['windowMs'],
      log: true,
    });
  }
}
const plain = defineResource({
  resource: 'plain',
  machine: plainMachine,
  store: PlainInvoiceStore,
});

const tables: Tables = (d) => [...invoiceTables(d)];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** µs per EXTEND commit, with and without a timer re-armed, paired rounds. */
async function arming(database: 'sqlite' | 'postgres', url: string): Promise<ArmingRow> {
  const entities = [Invoice, TransitionLogEntry, TransitionTimerEntry];
  const options =
    database === 'sqlite'
      ? { type: 'better-sqlite3' as const, database: url, entities }
      : { type: 'postgres' as const, url, entities };
  @Module({
    imports: [
      TypeOrmModule.forRoot(options),
      TransitionGuardModule.forRoot({ timers: { store: TypeOrmTimerStore, fire: false } }),
      TransitionGuardModule.forFeature([invoice, plain]),
    ],
  })
  class ArmingModule {}
  const app = await NestFactory.createApplicationContext(ArmingModule, { logger: false });
  try {
    const ds = app.get(DataSource);
    const transitions = app.get(TransitionService);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const [row] = (await ds.query(
        `INSERT INTO invoices (status, "windowMs", version) VALUES ('open', 3600000, 0) RETURNING id`,
      )) as { id: number }[];
      ids.push(String(row.id));
    }
    const run = async (resource: 'invoice' | 'plain') => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < COMMITS; i++)
        await transitions.send(resource, ids[i % ids.length], 'EXTEND');
      return Number(process.hrtime.bigint() - t0) / 1000 / COMMITS;
    };
    await run('plain'); // warm up both paths
    await run('invoice');
    const plainUs: number[] = [];
    const timedUs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      plainUs.push(await run('plain'));
      timedUs.push(await run('invoice'));
    }
    return {
      database: database === 'sqlite' ? 'SQLite' : 'PostgreSQL',
      plainUs: Math.round(median(plainUs)),
      timedUs: Math.round(median(timedUs)),
    };
  } finally {
    await app.close();
  }
}

/** Timers/s and lateness with `processes` firing apps on one PostgreSQL database. */
async function firing(server: string, processes: number): Promise<FiringRow> {
  const db = await freshDatabase('tg_bench_timers', server);
  await createTables('postgres', db.url, (d) => [
    ...tables(d),
    `CREATE TABLE expiries (id ${d.serial}, invoice_id varchar(20) NOT NULL, actor varchar(50) NOT NULL)`,
  ]);
  const apps = await Promise.all(
    Array.from({ length: processes }, () =>
      startDemoProcess(
        { DATABASE_URL: db.url },
        ['--import', 'tsx', 'test/fault/apps/timer-fault-app.ts'],
        undefined,
        /timers-app on (http:\/\/\S+)/,
      ),
    ),
  );
  const sql = new pg.Pool({ connectionString: db.url, max: 2 });
  // Rows and their timers as `TransitionTimers.start()` writes them, due `offset` ms from now.
  const arm = async (count: number, offsetMs: (idColumn: string) => string) => {
    await sql.query(
      `WITH made AS (INSERT INTO invoices (status, "windowMs", version)
         SELECT 'open', 1000, 0 FROM generate_series(1, $1) RETURNING id)
       INSERT INTO transition_timers (resource, "resourceId", timer, "dueAtMs", "armedVersion", "armedAtMs", "lockedUntilMs", attempts)
       SELECT 'invoice', id::text, $2, CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT) + ${offsetMs('id')}, 0,
              CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT), 0, 0 FROM made`,
      [count, TIMER],
    );
  };
  const fired = async () =>
    Number(
      (await sql.query(`SELECT count(*) AS n FROM transition_log WHERE event = $1`, [TIMER]))
        .rows[0].n,
    );
  const waitFor = async (n: number) => {
    const end = Date.now() + 300_000;
    while ((await fired()) < n) {
      if (Date.now() > end) throw new Error(`only ${await fired()} of ${n} timers fired`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    // The backlog: due together, 1 s from now.
    await arm(BACKLOG, () => '1000');
    const due = Date.now() + 1000;
    await waitFor(BACKLOG);
    const last = Number(
      (
        await sql.query(
          `SELECT max(EXTRACT(EPOCH FROM at::timestamptz) * 1000) AS last FROM transition_log WHERE event = $1`,
          [TIMER],
        )
      ).rows[0].last,
    );
    const perSecond = Math.round(BACKLOG / ((Math.max(last, due + 1) - due) / 1000));
    // Steady: STEADY_RATE timers falling due per second, spread over STEADY_SECONDS.
    const steady = STEADY_RATE * STEADY_SECONDS;
    const first = (await sql.query(`SELECT max(id) AS m FROM invoices`)).rows[0].m as number;
    await arm(
      steady,
      (id) => `1000 + ((${id} - ${String(first)}) * 1000) / ${String(STEADY_RATE)}`,
    );
    await waitFor(BACKLOG + steady);
    const late = (
      await sql.query(
        `SELECT (metadata::json->>'lateMs')::int AS late FROM transition_log
          WHERE event = $1 AND "resourceId"::int > $2 ORDER BY 1`,
        [TIMER, first],
      )
    ).rows.map((r: { late: number }) => r.late);
    const pct = (p: number) => late[Math.min(late.length - 1, Math.floor(p * late.length))];
    return {
      processes,
      backlog: BACKLOG,
      perSecond,
      steady,
      lateP50Ms: pct(0.5),
      lateP99Ms: pct(0.99),
      pollMs: 100,
    };
  } finally {
    await sql.end();
    await Promise.all(apps.map(stopDemoProcess));
    await db.stop();
  }
}

export async function timersBench(): Promise<{
  arming: ArmingRow[];
  firing: FiringRow[];
  skipped: string[];
}> {
  const skipped: string[] = [];
  const armingRows: ArmingRow[] = [];
  const firingRows: FiringRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-timers-'));
  try {
    const file = join(dir, 'timers.sqlite');
    await createTables('sqlite', file, tables);
    armingRows.push(await arming('sqlite', file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const server = postgres();
  if ('skip' in server) {
    skipped.push(`PostgreSQL (${server.skip})`);
  } else {
    try {
      const db = await freshDatabase('tg_bench_arming', server.url);
      await createTables('postgres', db.url, tables);
      armingRows.push(await arming('postgres', db.url));
      await db.stop();
      firingRows.push(await firing(server.url, 4));
    } finally {
      server.stop();
    }
  }
  return { arming: armingRows, firing: firingRows, skipped };
}

/** The tables of docs/benchmarks.md. */
export function timersTable(result: {
  arming: readonly ArmingRow[];
  firing: readonly FiringRow[];
  skipped: readonly string[];
}): string {
  const out = [
    "### Durable timers: arming's cost on a commit, and firing (`npm run bench:timers`)\n",
    "The same commit (`TransitionService.send`, EXTEND re-entering `open`, TypeORM with the log, one process) on a resource whose state has a payment window (its timer disarmed and armed again in the commit's transaction) and on one without: medians of paired rounds.\n",
    '| database | µs per commit, no timer | with a timer re-armed | ratio |',
    '|---|---:|---:|---:|',
    ...result.arming.map(
      (r) =>
        `| ${r.database} | ${String(r.plainUs)} | ${String(r.timedUs)} | ${(r.timedUs / r.plainUs).toFixed(2)} |`,
    ),
    '',
    'Firing on PostgreSQL, app processes of their own (polls every 100 ms, one outbox message per expiry): a backlog due at once, then timers falling due at 200 per second; lateness is from the due time (the database clock) to the claim.\n',
    '| processes | backlog | timers/s | steady timers | lateness p50 ms | p99 ms | poll ms |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...result.firing.map(
      (r) =>
        `| ${String(r.processes)} | ${r.backlog.toLocaleString('en-US')} | ${r.perSecond.toLocaleString('en-US')} | ${r.steady.toLocaleString('en-US')} | ${String(r.lateP50Ms)} | ${String(r.lateP99Ms)} | ${String(r.pollMs)} |`,
    ),
  ];
  for (const s of result.skipped) out.push(`\n${s} rows skipped`);
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const meta = await machineInfo(['@nestjs/core', 'typeorm', 'pg']);
  console.log(describeMachineInfo('bench:timers', meta));
  const result = await timersBench();
  console.log(timersTable(result));
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL(`../results/timers${QUICK ? '.quick' : ''}.json`, import.meta.url),
    JSON.stringify({ meta, ...result }, null, 2) + '\n',
  );
  process.exit(0);
}
