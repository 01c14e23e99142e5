/**
 * The guarded route in a real HTTP stack, side by side with what careful engineers write by hand
 * (see hand-written.ts): the app in a process of its own, autocannon in this one, on loopback;
 * SQLite (WAL) and PostgreSQL, Express and Fastify; legal PAY (a write) and refused SHIP (409).
 * Rounds interleave the implementations; figures are medians. Contention: one hot order, PAY
 * from every connection over 4 app processes on PostgreSQL, rows checked for lost updates.
 * `BENCH_QUICK=1` for small counts.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { DataSource } from 'typeorm';
import { postJsonWithHeaders } from '../../test/support/post-json.js';
import {
  startDemoProcess,
  stopDemoProcess,
  type DemoProcess,
} from '../../test/support/processes.js';
import { mysqlServer, postgres } from '../servers.js';
import type { Impl } from './bench-app.js';
import { benchServerArgs } from './compiled-app.js';
import { generatedClient } from '../../test/support/prisma-client.js';

const QUICK = process.env.BENCH_QUICK === '1';
const DURATION = QUICK ? 1 : 3;
const ROUNDS = QUICK ? 1 : 3;
/** `BENCH_IMPLS=a,ah,n,d3`: only these routes (a layer's rows, while working on it). */
const ONLY_IMPLS = process.env.BENCH_IMPLS?.split(',');
/** `BENCH_DATABASES=sqlite,postgres,mysql`, `BENCH_PLATFORMS=fastify`: fewer tables, sooner. */
const ONLY_DATABASES = process.env.BENCH_DATABASES?.split(',');
const ONLY_PLATFORMS = process.env.BENCH_PLATFORMS?.split(',');
const picked = (impls: readonly Impl[]) =>
  ONLY_IMPLS ? impls.filter((i) => ONLY_IMPLS.includes(i)) : impls;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The legal route every way, and the refused route guarded and by hand. */
export const LEGAL: readonly Impl[] = [
  'a',
  'ai',
  'ah',
  'n',
  'al',
  'ak',
  'ao',
  'ap',
  'ap1',
  'a-drizzle',
  'a-prisma',
  'a-mikro-orm',
  'b',
  'c',
  'd1',
  'd2',
  'd3',
  'd3o',
];
export const REFUSED: readonly Impl[] = ['a', 'b'];
/** TRACK on a shipped order: read then commit (a), the guard's one statement (a1), by hand. */
export const TRACKERS: readonly Impl[] = ['a', 'a1', 'd1', 'd3'];
/** Contention: the ways that are correct under concurrency, and (b) to count what it loses. */
export const CONTENDERS: readonly Impl[] = ['a', 'ap', 'ap1', 'b', 'd1', 'd2', 'd3'];

/** Legal PAY, refused SHIP, legal TRACK (the one-statement path's event). */
export type Scenario = 'legal' | 'refused' | 'track';

export interface HttpRow {
  database: string;
  platform: string;
  impl: Impl;
  scenario: Scenario;
  rps: number;
  p50: number;
  p99: number;
  /** The app process's CPU time (user + system) per request, in µs: steadier than req/s. */
  cpuUs?: number;
}
export interface ContentionRow {
  impl: Impl;
  connections: number;
  rps: number;
  p99: number;
  conflictRate: number;
  lostUpdates: number;
}

/**
 * 10 connections for `duration` seconds (or `amount` requests), each request to one of `paths`
 * at random: many orders, so that the table measures a route's cost, not contention on a row.
 * Also the profiler's load (bench/http/profile.ts).
 */
export async function cannon(
  base: string,
  paths: readonly string[],
  body: object,
  amount?: number,
  keyed = false,
  duration = DURATION,
) {
  const r = await autocannon({
    url: base,
    connections: 10,
    ...(amount ? { amount } : { duration }),
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        setupRequest: (req: { path?: string; headers?: Record<string, string> }) => {
          req.path = paths[Math.floor(Math.random() * paths.length)];
          // A new Idempotency-Key per request: each one runs (a repeat would be a replay).
          if (keyed) req.headers = { ...req.headers, 'idempotency-key': randomUUID() };
          return req;
        },
      },
    ],
  });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok: r['2xx'],
    other: r.non2xx,
  };
}

/** A database for one run: a fresh SQLite file, or a fresh PostgreSQL database. */
export interface BenchDatabase {
  name: string;
  env: Record<string, string>;
  db: DataSource;
  placeholder: (n: number) => string;
  close: () => Promise<void>;
}

async function sqliteDatabase(): Promise<BenchDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-'));
  const file = join(dir, 'bench.sqlite');
  return {
    name: 'SQLite',
    env: { SQLITE_FILE: file },
    db: new DataSource({ type: 'better-sqlite3', database: file }),
    placeholder: () => '?',
    close: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

async function postgresDatabase(url: string): Promise<BenchDatabase> {
  const db = new DataSource({ type: 'postgres', url });
  await db.initialize();
  await db.query(
    'DROP TABLE IF EXISTS orders, transition_log, transition_outbox, transition_handled CASCADE',
  );
  await db.destroy();
  return {
    name: 'PostgreSQL',
    env: { DATABASE_URL: url },
    db: new DataSource({ type: 'postgres', url }),
    placeholder: (n) => `$${n}`,
    close: () => Promise.resolve(),
  };
}

async function mysqlDatabase(url: string): Promise<BenchDatabase> {
  const db = new DataSource({ type: 'mysql', url });
  await db.initialize();
  for (const table of ['orders', 'transition_log', 'transition_outbox', 'transition_handled']) {
    await db.query(`DROP TABLE IF EXISTS ${table}`);
  }
  await db.destroy();
  return {
    name: 'MariaDB',
    env: { DATABASE_URL: url },
    db: new DataSource({ type: 'mysql', url }),
    placeholder: () => '?',
    close: () => Promise.resolve(),
  };
}

/** `count` orders in `status` with a large total (PAYs of 1 keep them pending); their ids. */
export async function insertOrders(
  d: Pick<BenchDatabase, 'name' | 'db' | 'placeholder'>,
  status: string,
  count: number,
): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) ids.push(await insertOrder(d, status));
  return ids;
}

/** Inserts an order in `status` with a large total (PAYs of 1 keep it pending); its id. */
async function insertOrder(
  d: Pick<BenchDatabase, 'name' | 'db' | 'placeholder'>,
  status: string,
): Promise<number> {
  if (d.name === 'MariaDB') {
    const result = (await d.db.query(
      'INSERT INTO orders (status, total, paid, version, `createdAt`, `updatedAt`) VALUES (?, 1000000000, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)',
      [status],
    )) as { insertId: number };
    return result.insertId;
  }
  const rows = (await d.db.query(
    `INSERT INTO orders (status, total, paid, version, "createdAt", "updatedAt") VALUES (${d.placeholder(1)}, 1000000000, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id`,
    [status],
  )) as { id: number }[];
  return rows[0].id;
}

/** A process's CPU time so far (user + system), in µs, from /proc (Linux). */
export function cpuMicros(pid: number): number {
  // Fields 14 and 15 after the command name (which may hold spaces), in clock ticks of 10 ms.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const serve = (env: Record<string, string>) => startDemoProcess(env, benchServerArgs());

/** The HTTP table: every implementation, interleaved, per database and platform. */
export async function httpBench(): Promise<{ rows: HttpRow[]; skipped?: string }> {
  const rows: HttpRow[] = [];
  // The app processes load the Prisma clients generated here (orm-stores.ts).
  generatedClient('sqlite');
  generatedClient('postgresql');
  generatedClient('mysql');
  const wanted = (name: string) => !ONLY_DATABASES || ONLY_DATABASES.includes(name);
  const pg = wanted('postgres') ? postgres() : { skip: 'not in BENCH_DATABASES' };
  const my = wanted('mysql') ? mysqlServer() : { skip: 'not in BENCH_DATABASES' };
  const databases: (() => Promise<BenchDatabase>)[] = wanted('sqlite') ? [sqliteDatabase] : [];
  if ('url' in pg) databases.push(() => postgresDatabase(pg.url));
  if ('url' in my) databases.push(() => mysqlDatabase(my.url));
  const platforms = (['express', 'fastify'] as const).filter(
    (p) => !ONLY_PLATFORMS || ONLY_PLATFORMS.includes(p),
  );
  try {
    for (const open of databases) {
      for (const platform of platforms) {
        const d = await open();
        // On a server the outbox's relay runs in a worker process, as in production (the app
        // only writes messages); on SQLite one process delivers: the app.
        const worker = d.name !== 'SQLite';
        const app = await serve({ ...d.env, PLATFORM: platform, OUTBOX_RELAY: worker ? '0' : '1' });
        const relay = worker ? await serve({ ...d.env, OUTBOX_RELAY: '1' }) : undefined;
        try {
          await d.db.initialize();
          rows.push(...(await measure(d, platform, app)));
          if (relay) await allDelivered(d);
        } finally {
          if (relay) await stopDemoProcess(relay);
          await stopDemoProcess(app);
          if (d.db.isInitialized) await d.db.destroy();
          await d.close();
        }
      }
    }
  } finally {
    if ('stop' in pg) pg.stop();
    if ('stop' in my) my.stop();
  }
  const skipped = [
    'skip' in pg ? `PostgreSQL rows: ${pg.skip}` : '',
    'skip' in my ? `MariaDB rows: ${my.skip}` : '',
  ].filter(Boolean);
  return skipped.length ? { rows, skipped: skipped.join('; ') } : { rows };
}

/** Fails unless the worker's relay delivered every message (within 30 s of the last request). */
async function allDelivered(d: BenchDatabase): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const [row] = (await d.db.query('SELECT count(*) AS n FROM transition_outbox')) as {
      n: string;
    }[];
    if (Number(row.n) === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the relay worker left outbox messages undelivered');
}

async function measure(d: BenchDatabase, platform: string, app: DemoProcess): Promise<HttpRow[]> {
  const base = app.url;
  const pid = app.child.pid!;
  const runs: { impl: Impl; scenario: Scenario }[] = [
    ...picked(LEGAL).map((impl) => ({ impl, scenario: 'legal' as const })),
    ...picked(REFUSED).map((impl) => ({ impl, scenario: 'refused' as const })),
    ...picked(TRACKERS).map((impl) => ({ impl, scenario: 'track' as const })),
  ];
  const pending = await insertOrders(d, 'pending', 300);
  const cancelled = await insertOrders(d, 'cancelled', 10);
  const shipped = await insertOrders(d, 'shipped', 300);
  const tracking = { carrier: 'UPS', trackingNumber: '1Z' };
  const run = async (impl: Impl, scenario: Scenario, amount?: number) => {
    const cpuBefore = cpuMicros(pid);
    const r =
      scenario === 'legal'
        ? await cannon(
            base,
            pending.map((id) => `/${impl}/orders/${id}/pay`),
            { amount: 1 },
            amount,
            impl === 'ak',
          )
        : scenario === 'track'
          ? await cannon(
              base,
              shipped.map((id) => `/${impl}/orders/${id}/track`),
              tracking,
              amount,
            )
          : await cannon(
              base,
              cancelled.map((id) => `/${impl}/orders/${id}/ship`),
              tracking,
              amount,
            );
    // Two of ten connections can still meet on one of 300 orders: a careful route answers 409
    // then (d3 at once, (a) past its retries). Past 10%, the table would measure contention.
    const bad = scenario === 'refused' ? r.ok : r.other;
    if (bad > (r.ok + r.other) * 0.1) {
      throw new Error(`${d.name} ${platform} ${impl} ${scenario}: ${r.ok} 2xx, ${r.other} other`);
    }
    return { ...r, cpuUs: (cpuMicros(pid) - cpuBefore) / (r.ok + r.other) };
  };
  // Warm up every route (JIT, statement caches, connection pools) before anything is measured.
  for (const { impl, scenario } of runs) await run(impl, scenario, QUICK ? 200 : 1000);
  const samples = new Map<
    string,
    { rps: number[]; p50: number[]; p99: number[]; cpuUs: number[] }
  >();
  for (let round = 0; round < ROUNDS; round++) {
    for (const { impl, scenario } of round % 2 ? [...runs].reverse() : runs) {
      const r = await run(impl, scenario);
      const s = samples.get(`${impl}|${scenario}`) ?? { rps: [], p50: [], p99: [], cpuUs: [] };
      s.rps.push(r.rps);
      s.cpuUs.push(r.cpuUs);
      s.p50.push(r.p50);
      s.p99.push(r.p99);
      samples.set(`${impl}|${scenario}`, s);
    }
  }
  return runs.map(({ impl, scenario }) => {
    const s = samples.get(`${impl}|${scenario}`)!;
    return {
      database: d.name,
      platform,
      impl,
      scenario,
      rps: median(s.rps),
      p50: median(s.p50),
      p99: median(s.p99),
      cpuUs: median(s.cpuUs),
    };
  });
}

/**
 * Exactly `total` POSTs from `connections` keep-alive connections spread over `urls`, every
 * response counted (what lost updates are checked against), timed by the wall clock.
 */
async function fixedCount(
  urls: readonly string[],
  body: object,
  connections: number,
  total: number,
) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let ok = 0;
  let other = 0;
  let sent = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      while (sent < total) {
        sent++;
        const t = performance.now();
        const { status } = await postJsonWithHeaders(agent, urls[c % urls.length], body);
        latencies.push(performance.now() - t);
        if (status >= 200 && status < 300) ok++;
        else other++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    rps: total / seconds,
    p99: Math.round(latencies[Math.floor(latencies.length * 0.99)]),
    ok,
    other,
    total,
  };
}

/**
 * One hot order on PostgreSQL, PAY of 1 from every connection, over 4 app processes (2 Express,
 * 2 Fastify): throughput, 409s (stale-state, or a hand-written conflict) and lost updates (2xx
 * answers the row does not show). Skipped, with the reason, without a PostgreSQL server.
 */
export async function postgresContention(): Promise<{ rows: ContentionRow[]; skipped?: string }> {
  const pg = postgres();
  if (!('url' in pg)) return { rows: [], skipped: pg.skip };
  const rows: ContentionRow[] = [];
  const processes: DemoProcess[] = [];
  const d = await postgresDatabase(pg.url);
  try {
    for (let i = 0; i < 4; i++) {
      processes.push(await serve({ ...d.env, PLATFORM: i % 2 ? 'fastify' : 'express' }));
    }
    await d.db.initialize();
    for (const connections of QUICK ? [64] : [4, 16, 64]) {
      for (const impl of CONTENDERS) {
        const id = await insertOrder(d, 'pending');
        const urls = processes.map((p) => `${p.url}/${impl}/orders/${id}/pay`);
        const r = await fixedCount(urls, { amount: 1 }, connections, QUICK ? 200 : 2000);
        const [row] = (await d.db.query('SELECT paid FROM orders WHERE id = $1', [id])) as {
          paid: number;
        }[];
        rows.push({
          impl,
          connections,
          rps: r.rps,
          p99: r.p99,
          conflictRate: r.other / r.total,
          lostUpdates: r.ok - row.paid,
        });
      }
    }
  } finally {
    await Promise.all(processes.map(stopDemoProcess));
    if (d.db.isInitialized) await d.db.destroy();
    if ('stop' in pg) pg.stop();
  }
  return { rows };
}
