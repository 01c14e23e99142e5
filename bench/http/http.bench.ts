/**
 * The guard's cost in a real HTTP stack, side by side with what users would write instead:
 *   HTTP: autocannon against one app on loopback, the same route three ways (see bench-app.ts),
 *         legal (PAY, a write) and refused (SHIP on a cancelled order, 409), Express and Fastify;
 *   contention: one order, 1 / 10 / 100 connections, @Transition + commit vs hand-written;
 *   growth: the guard alone (no HTTP) as the machine, the registry and the payload grow.
 * Rounds interleave the contenders; figures are medians. `BENCH_QUICK=1` for small counts.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:http';
import { postJsonWithHeaders } from '../../test/support/post-json.js';
import {
  postgres,
  startDemoProcess,
  stopDemoProcess,
  type DemoProcess,
} from '../../test/race/postgres-cluster.js';
import autocannon from 'autocannon';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { createMachine, setup } from 'xstate';
import { z } from 'zod';
import { DataSource } from 'typeorm';
import {
  MemoryIdempotencyStore,
  resolveOptions,
  TransitionGuard,
  TransitionRegistry,
} from '../../src/index.js';
import { TRANSITION_METADATA } from '../../src/nest/decorators/transition-metadata.js';
import { createBenchApp } from './bench-app.js';

const QUICK = process.env.BENCH_QUICK === '1';
const DURATION = QUICK ? 1 : 4;
const ROUNDS = QUICK ? 1 : 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A run for DURATION seconds, or of exactly `amount` requests (every response counted). */
async function cannon(url: string, body: object, connections: number, amount?: number) {
  const r = await autocannon({
    url,
    method: 'POST',
    connections,
    ...(amount ? { amount } : { duration: DURATION }),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok: r['2xx'],
    non2xx: r.non2xx,
    total: r['2xx'] + r.non2xx,
  };
}

export interface HttpRow {
  platform: string;
  impl: string;
  scenario: string;
  rps: number;
  p50: number;
  p99: number;
}
export interface ContentionRow {
  platform: string;
  impl: string;
  connections: number;
  rps: number;
  p99: number;
  conflictRate: number;
  lostUpdates: number;
}

/** The three implementations of the route, by their letter in bench-app.ts. */
export const IMPLS = {
  a: '@Transition + commit',
  b: 'hand-written check',
  c: 'XState in controller',
} as const;

export async function httpBench(): Promise<{ http: HttpRow[]; contention: ContentionRow[] }> {
  const http: HttpRow[] = [];
  const contention: ContentionRow[] = [];
  for (const platform of ['express', 'fastify'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'tg-bench-'));
    const app = await createBenchApp(platform, { sqlite: join(dir, 'bench.sqlite') });
    await app.listen(0, '127.0.0.1');
    const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const db = app.get(DataSource);
    const insert = async (status: string) => {
      const [{ id }] = await db.query(
        `INSERT INTO orders (status, total, paid, version) VALUES (?, 1000000000, 0, 0) RETURNING id`,
        [status],
      );
      return id as number;
    };
    // Warm up every route (JIT, statement caches) before anything is measured.
    for (const impl of ['a', 'b', 'c']) {
      await cannon(`${base}/${impl}/orders/${await insert('pending')}/pay`, { amount: 1 }, 10);
      await cannon(
        `${base}/${impl}/orders/${await insert('cancelled')}/ship`,
        { carrier: 'UPS', trackingNumber: '1Z' },
        10,
      );
    }
    const samples = new Map<string, { rps: number[]; p50: number[]; p99: number[] }>();
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? (['c', 'b', 'a'] as const) : (['a', 'b', 'c'] as const);
      for (const impl of order) {
        for (const scenario of ['legal', 'refused'] as const) {
          const id = await insert(scenario === 'legal' ? 'pending' : 'cancelled');
          const r =
            scenario === 'legal'
              ? await cannon(`${base}/${impl}/orders/${id}/pay`, { amount: 1 }, 10)
              : await cannon(
                  `${base}/${impl}/orders/${id}/ship`,
                  { carrier: 'UPS', trackingNumber: '1Z' },
                  10,
                );
          const expectOk = scenario === 'legal';
          if (expectOk ? r.non2xx > 0 : r.ok > 0)
            throw new Error(
              `${platform} ${impl} ${scenario}: unexpected statuses (${r.ok} 2xx, ${r.non2xx} other)`,
            );
          const key = `${impl}|${scenario}`;
          const s = samples.get(key) ?? { rps: [], p50: [], p99: [] };
          s.rps.push(r.rps);
          s.p50.push(r.p50);
          s.p99.push(r.p99);
          samples.set(key, s);
        }
      }
    }
    for (const [key, s] of samples) {
      const [impl, scenario] = key.split('|');
      http.push({
        platform,
        impl,
        scenario,
        rps: median(s.rps),
        p50: median(s.p50),
        p99: median(s.p99),
      });
    }
    for (const connections of [1, 10, 100]) {
      for (const impl of ['a', 'b'] as const) {
        const id = await insert('pending');
        const r = await fixedCount(
          `${base}/${impl}/orders/${id}/pay`,
          { amount: 1 },
          connections,
          QUICK ? 300 : 3000,
        );
        const [row] = await db.query('SELECT paid, version FROM orders WHERE id = ?', [id]);
        // Each 2xx paid 1: the row must show exactly as many.
        contention.push({
          platform,
          impl,
          connections,
          rps: r.rps,
          p99: r.p99,
          conflictRate: r.non2xx / Math.max(1, r.total),
          lostUpdates: r.ok - Number(row.paid),
        });
      }
    }
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { http, contention };
}

/**
 * Exactly `total` POSTs from `connections` keep-alive connections, every response counted (what
 * lost updates are checked against), timed by the wall clock.
 */
async function fixedCount(
  urls: string | readonly string[],
  body: object,
  connections: number,
  total: number,
) {
  const targets = typeof urls === 'string' ? [urls] : urls;
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let sent = 0;
  const post = async (c: number) =>
    (await postJsonWithHeaders(agent, targets[c % targets.length], body)).status;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      while (sent < total) {
        sent++;
        const t = performance.now();
        const status = await post(c);
        latencies.push(performance.now() - t);
        if (status >= 200 && status < 300) ok++;
        else non2xx++;
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
    non2xx,
    total,
  };
}

/**
 * Contention across processes: 4 benchmark app processes (2 Express, 2 Fastify) on one PostgreSQL
 * database, started the way .ci/run starts one; connections spread over the processes, all on one
 * order. Skipped, with the reason, when no PostgreSQL server can be had.
 */
export async function postgresContention(): Promise<{ rows: ContentionRow[]; skipped?: string }> {
  const pg = postgres();
  if (!('url' in pg)) return { rows: [], skipped: pg.skip };
  const rows: ContentionRow[] = [];
  const processes: DemoProcess[] = [];
  const db = new DataSource({ type: 'postgres', url: pg.url });
  try {
    await db.initialize();
    await db.query('DROP TABLE IF EXISTS orders, transition_log CASCADE');
    for (let i = 0; i < 4; i++) {
      processes.push(
        await startDemoProcess({ DATABASE_URL: pg.url, PLATFORM: i % 2 ? 'fastify' : 'express' }, [
          '--import',
          'tsx',
          'bench/http/serve.ts',
        ]),
      );
    }
    const urls = (impl: string, id: number) =>
      processes.map((p) => `${p.url}/${impl}/orders/${id}/pay`);
    for (const connections of [4, 16, 64]) {
      for (const impl of ['a', 'b'] as const) {
        const [{ id }] = await db.query(
          `INSERT INTO orders (status, total, paid, version, "createdAt", "updatedAt") VALUES ('pending', 1000000000, 0, 0, now(), now()) RETURNING id`,
        );
        const r = await fixedCount(urls(impl, id), { amount: 1 }, connections, QUICK ? 200 : 2000);
        const [row] = await db.query('SELECT paid FROM orders WHERE id = $1', [id]);
        rows.push({
          platform: '4 processes',
          impl,
          connections,
          rps: r.rps,
          p99: r.p99,
          conflictRate: r.non2xx / r.total,
          lostUpdates: r.ok - Number(row.paid),
        });
      }
    }
  } finally {
    await Promise.all(processes.map(stopDemoProcess));
    if (db.isInitialized) await db.destroy();
    if ('stop' in pg) pg.stop();
  }
  return { rows };
}

export interface GrowthRow {
  dimension: string;
  size: string;
  nsPerCheck: number;
}

/** The guard alone: canActivate on a fake HTTP context, loader in memory, no network, no database. */
export async function growthBench(): Promise<GrowthRow[]> {
  const rows: GrowthRow[] = [];
  const iterations = QUICK ? 2_000 : 20_000;
  const time = async (
    guard: TransitionGuard,
    handler: () => void,
    request: () => Record<string, unknown>,
  ) => {
    const ctx = () => new ExecutionContextHost([request(), {}, () => undefined], Object, handler);
    for (let i = 0; i < iterations; i++) await guard.canActivate(ctx());
    const rounds: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) await guard.canActivate(ctx());
      rounds.push(Number(process.hrtime.bigint() - t) / iterations);
    }
    return median(rounds);
  };
  const routed = (resource: string, event: string) => {
    const handler = () => undefined;
    Reflect.defineMetadata(TRANSITION_METADATA, { resource, event, id: 'id' }, handler);
    return handler;
  };
  const loader = (state: string) => ({ load: async () => ({ state, context: {}, version: 1 }) });
  for (const size of [10, 100, 1000, 10_000]) {
    const states = Object.fromEntries(
      Array.from({ length: size }, (_, i) => [`s${i}`, { on: { NEXT: `s${(i + 1) % size}` } }]),
    );
    const registry = new TransitionRegistry();
    registry.register(
      { resource: 'flat', machine: createMachine({ id: 'flat', initial: 's0', states }) },
      { loader: loader('s1') },
    );
    rows.push({
      dimension: 'machine states',
      size: String(size),
      nsPerCheck: await time(
        new TransitionGuard(
          new Reflector(),
          registry,
          resolveOptions({}),
          new MemoryIdempotencyStore(),
        ),
        routed('flat', 'NEXT'),
        () => ({ params: { id: '1' }, headers: {}, body: {} }),
      ),
    });
  }
  for (const count of [1, 10, 100, 1000]) {
    const registry = new TransitionRegistry();
    for (let i = 0; i < count; i++) {
      registry.register(
        {
          resource: `r${i}`,
          machine: createMachine({
            id: `m${i}`,
            initial: 'a',
            states: { a: { on: { GO: 'b' } }, b: {} },
          }),
        },
        { loader: loader('a') },
      );
    }
    rows.push({
      dimension: 'registered resources',
      size: String(count),
      nsPerCheck: await time(
        new TransitionGuard(
          new Reflector(),
          registry,
          resolveOptions({}),
          new MemoryIdempotencyStore(),
        ),
        routed(`r${count - 1}`, 'GO'),
        () => ({ params: { id: '1' }, headers: {}, body: {} }),
      ),
    });
  }
  const noted = setup({
    schemas: { events: { NOTE: z.object({ note: z.string() }) } },
  }).createMachine({
    id: 'noted',
    initial: 'a',
    states: { a: { on: { NOTE: { actions: () => undefined } } } },
  });
  const registry = new TransitionRegistry();
  registry.register({ resource: 'noted', machine: noted }, { loader: loader('a') });
  const guard = new TransitionGuard(
    new Reflector(),
    registry,
    resolveOptions({}),
    new MemoryIdempotencyStore(),
  );
  for (const bytes of [100, 1_000, 10_000, 100_000]) {
    const body = { note: 'x'.repeat(bytes) };
    rows.push({
      dimension: 'payload bytes',
      size: bytes.toLocaleString('en-US'),
      nsPerCheck: await time(guard, routed('noted', 'NOTE'), () => ({
        params: { id: '1' },
        headers: {},
        body,
      })),
    });
  }
  return rows;
}
