/**
 * The benchmark's tables, rendered from its results (bench/results/bench.json and core.json): what
 * `npm run bench` prints, and what `npm run docs` writes into docs/benchmarks.md. One renderer, so
 * the page always shows one run's figures.
 */
import type { GrowthRow } from './http/growth.bench.js';
import type { ContentionRow, HttpRow } from './http/http.bench.js';
import { IMPLS, type Impl } from './http/bench-app.js';
import type { StoreRow } from './stores.bench.js';
import { triggerCostTable, type TriggerCostRow } from './trigger-cost.bench.js';

export interface BenchResults {
  readonly meta: Record<string, unknown>;
  readonly http: { readonly rows: readonly HttpRow[]; readonly skipped?: string };
  readonly contention?: { readonly rows: readonly ContentionRow[]; readonly skipped?: string };
  readonly growth?: readonly GrowthRow[];
  readonly stores?: { readonly rows: readonly StoreRow[]; readonly skipped?: string };
  readonly trigger?: { readonly rows: readonly TriggerCostRow[]; readonly skipped: string[] };
}

/** A row of the core benchmark (bench/results/core.json). */
export interface CoreRow {
  readonly machine: string;
  readonly states: number;
  readonly validator: number;
  readonly table?: number;
  readonly resolveCan: number;
  readonly transition: number;
  readonly compileMs: number;
  readonly kbPerMachine: number;
}

const name = (impl: Impl) => `(${impl}) ${IMPLS[impl]}`;
const f = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
const pct = (a: number, b: number | undefined) => (b ? `${((a / b) * 100).toFixed(0)}%` : 'n/a');

/** One line saying what the results were measured on. */
export function describeMeta(label: string, meta: Record<string, unknown>): string {
  const versions = Object.entries((meta.versions ?? {}) as Record<string, string>)
    .map(([n, v]) => `${n} ${v}`)
    .join(', ');
  return `${label}: ${String(meta.date)}, node ${String(meta.node)}, ${versions}, ${String(meta.cpu)} x${String(meta.cores)}${meta.quick ? ' (quick)' : ''}`;
}

/** The core benchmark's table. */
export function coreTable(rows: readonly CoreRow[]): string {
  const n = (v: number | undefined) =>
    v === undefined ? 'n/a' : v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US');
  return [
    '| machine | states | validator ns/op | hand-written table ns/op | `resolveState().can()` ns/op | `transition()` ns/op | validator vs table | faster than `can()` | compile ms | heap KiB/machine |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.machine} | ${r.states} | ${n(r.validator)} | ${n(r.table)} | ${n(r.resolveCan)} | ${n(r.transition)} | ${r.table ? `${(r.validator / r.table).toFixed(2)}x` : 'n/a'} | ${(r.resolveCan / r.validator).toFixed(1)}x | ${r.compileMs.toFixed(2)} | ${Math.max(0, r.kbPerMachine).toFixed(0)} |`,
    ),
  ].join('\n');
}

/** The HTTP, contention, growth and stores tables of one run, as Markdown sections. */
export function benchTables(results: BenchResults): string {
  // A run without HTTP rows (the rest of a run whose HTTP tables came from another) has none.
  const { rows, skipped } = results.http;
  const out: string[] = rows.length || skipped ? httpTables(results.http) : [];
  const { contention, growth, stores, trigger } = results;
  if (contention) {
    out.push(
      '\n### Contention: one hot order, PostgreSQL, 4 app processes (2 Express, 2 Fastify)\n',
    );
    if (contention.skipped) out.push(`skipped: ${contention.skipped}`);
    else {
      out.push(
        '| implementation | connections | req/s | p99 ms | 409 rate | lost updates | req/s vs (d2) |',
        '|---|---:|---:|---:|---:|---:|---:|',
      );
      for (const c of contention.rows) {
        const d2 = contention.rows.find((x) => x.impl === 'd2' && x.connections === c.connections);
        out.push(
          `| ${name(c.impl)} | ${c.connections} | ${f(c.rps)} | ${c.p99} | ${(c.conflictRate * 100).toFixed(1)}% | ${c.lostUpdates} | ${pct(c.rps, d2?.rps)} |`,
        );
      }
    }
  }
  if (growth) {
    out.push(
      '\n### Growth: the guard alone (canActivate, in-memory loader, no HTTP)\n',
      '| dimension | size | µs per check |',
      '|---|---:|---:|',
      ...growth.map((g) => `| ${g.dimension} | ${g.size} | ${(g.nsPerCheck / 1000).toFixed(2)} |`),
    );
  }
  if (stores) out.push('', storesTable(stores));
  if (trigger) out.push('', triggerCostTable(trigger));
  return out.join('\n');
}

/** The HTTP tables of one run: every route, then the layers, TRACK, the outbox, the stores, 409s. */
function httpTables(http: BenchResults['http']): string[] {
  const out: string[] = [];
  const rows = http.rows;
  const find = (r: HttpRow, impl: Impl, scenario = r.scenario) =>
    rows.find(
      (h) =>
        h.database === r.database &&
        h.platform === r.platform &&
        h.impl === impl &&
        h.scenario === scenario,
    );
  out.push(
    '### HTTP: legal PAY (a write), every way; app and load generator in separate processes, 10 connections\n',
    '| database | platform | implementation | req/s | p50 ms | p99 ms | server CPU µs/req | req/s vs (d1) | req/s vs (d3) | (d3) CPU / CPU | p99 vs (d3) |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of rows.filter((x) => x.scenario === 'legal')) {
    const d1 = find(r, 'd1');
    const d3 = find(r, 'd3');
    out.push(
      `| ${r.database} | ${r.platform} | ${name(r.impl)} | ${f(r.rps)} | ${r.p50} | ${r.p99} | ${cpu(r)} | ${pct(r.rps, d1?.rps)} | ${pct(r.rps, d3?.rps)} | ${r.cpuUs && d3?.cpuUs ? pct(d3.cpuUs, r.cpuUs) : 'n/a'} | ${pct(r.p99, d3?.p99)} |`,
    );
  }
  out.push('', layersTable(rows));
  out.push(
    '\n### HTTP: legal TRACK (an event no guard decides): read then commit (a), the guard committing in one statement (a1), by hand\n',
    '| database | platform | implementation | req/s | p50 ms | p99 ms | req/s vs (d1) | req/s vs (d3) | p99 vs (d1) |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of rows.filter((x) => x.scenario === 'track')) {
    const d1 = find(r, 'd1');
    const d3 = find(r, 'd3');
    out.push(
      `| ${r.database} | ${r.platform} | ${name(r.impl)} | ${f(r.rps)} | ${r.p50} | ${r.p99} | ${pct(r.rps, d1?.rps)} | ${pct(r.rps, d3?.rps)} | ${pct(r.p99, d1?.p99)} |`,
    );
  }
  out.push(
    "\n### The outbox's cost on the legal route: (ao) vs (a), and a hand-written outbox write: (d3o) vs (d3)\n",
    '| database | platform | relay | req/s (a) | req/s (ao) | (ao) vs (a) | p99 (a) | p99 (ao) | (d3o) vs (d3), no relay |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of rows.filter((x) => x.scenario === 'legal' && x.impl === 'a')) {
    const ao = find(r, 'ao');
    const d3 = find(r, 'd3');
    const d3o = find(r, 'd3o');
    if (ao) {
      out.push(
        `| ${r.database} | ${r.platform} | ${r.database === 'SQLite' ? 'the app' : 'a worker process'} | ${f(r.rps)} | ${f(ao.rps)} | ${pct(ao.rps, r.rps)} | ${r.p99} | ${ao.p99} | ${d3o && d3 ? pct(d3o.rps, d3.rps) : 'n/a'} |`,
      );
    }
  }
  out.push(
    '\n### The store adapters on the legal route: vs (a), the TypeORM store\n',
    '| database | platform | store | req/s | vs (a) | p99 ms | p99 (a) |',
    '|---|---|---|---:|---:|---:|---:|',
  );
  for (const r of rows.filter((x) => x.scenario === 'legal' && x.impl === 'a')) {
    for (const impl of ['a-drizzle', 'a-prisma', 'a-mikro-orm'] as const) {
      const s = find(r, impl);
      if (s) {
        out.push(
          `| ${r.database} | ${r.platform} | ${IMPLS[impl].replace('@Transition + commit, ', '')} | ${f(s.rps)} | ${pct(s.rps, r.rps)} | ${s.p99} | ${r.p99} |`,
        );
      }
    }
  }
  out.push(
    '\n### HTTP: refused SHIP on a cancelled order (409)\n',
    '| database | platform | implementation | req/s | p99 ms | req/s vs hand-written 409 |',
    '|---|---|---|---:|---:|---:|',
  );
  for (const r of rows.filter((x) => x.scenario === 'refused')) {
    out.push(
      `| ${r.database} | ${r.platform} | ${r.impl === 'a' ? '(a) @Transition, full 409 body' : '(b) hand-written conditional UPDATE, bare 409'} | ${f(r.rps)} | ${r.p99} | ${pct(r.rps, find(r, 'b')?.rps)} |`,
    );
  }
  if (http.skipped) out.push(`\n${http.skipped}`);
  return out;
}

/**
 * The guarded route peeled layer by layer, as paired differences of the app's CPU per request
 * (one run, same database and platform): each row is the route with the layer minus the route
 * without it.
 */
export const LAYERS: readonly { layer: string; with: Impl; without: Impl }[] = [
  { layer: 'an interceptor on the route (TransitionInterceptor)', with: 'ai', without: 'a' },
  { layer: '`TransitionService.commit` vs the compare-and-set by hand', with: 'a', without: 'ah' },
  {
    layer: "the library's guard (read, check, exchange) vs a no-op guard + param decorator",
    with: 'ah',
    without: 'n',
  },
  { layer: "NestJS's guard and param decorator mechanism (n) vs (d3)", with: 'n', without: 'd3' },
  { layer: 'a transition log row', with: 'al', without: 'a' },
  { layer: 'an outbox message', with: 'ao', without: 'a' },
  { layer: 'an outbox message written by hand, never delivered', with: 'd3o', without: 'd3' },
  { layer: 'an Idempotency-Key (stored, then completed)', with: 'ak', without: 'a' },
];

/** The layers table: µs of server CPU per request each layer adds, per database and platform. */
export function layersTable(rows: readonly HttpRow[]): string {
  const places = [...new Set(rows.map((r) => `${r.database}|${r.platform}`))];
  const at = (place: string, impl: Impl) =>
    rows.find(
      (r) => `${r.database}|${r.platform}` === place && r.impl === impl && r.scenario === 'legal',
    )?.cpuUs;
  const out = [
    "### The guard's layers: server CPU µs per request each adds (legal PAY, paired differences)\n",
    `| layer | ${places.map((p) => p.replace('|', ' ')).join(' | ')} |`,
    `|---|${places.map(() => '---:').join('|')}|`,
  ];
  for (const l of LAYERS) {
    const cells = places.map((p) => {
      const a = at(p, l.with);
      const b = at(p, l.without);
      return a === undefined || b === undefined ? 'n/a' : (a - b).toFixed(0);
    });
    out.push(`| ${l.layer}: (${l.with}) - (${l.without}) | ${cells.join(' | ')} |`);
  }
  return out.join('\n');
}

const cpu = (r: HttpRow) => (r.cpuUs === undefined ? 'n/a' : r.cpuUs.toFixed(0));

/** The stores table: load + compare-and-set without HTTP, each store against TypeORM's and by hand. */
export function storesTable(result: {
  readonly rows: readonly StoreRow[];
  readonly skipped?: string;
}): string {
  const out = [
    '### Stores: load + compare-and-set, no HTTP, 10 workers over 300 rows\n',
    '| database | store | ops/s | vs TypeORM store | vs by hand |',
    '|---|---|---:|---:|---:|',
  ];
  for (const r of result.rows) {
    const typeorm = result.rows.find(
      (x) => x.database === r.database && x.store === 'TypeOrmTransitionStore',
    );
    // The trigger's row is compared with the same state change without it.
    const hand = r.store.startsWith('state change')
      ? result.rows.find((x) => x.database === r.database && x.store.endsWith('no trigger'))
      : result.rows.find((x) => x.database === r.database && x.store.startsWith('by hand'));
    const p = (b: StoreRow | undefined) =>
      b ? `${((r.opsPerSecond / b.opsPerSecond) * 100).toFixed(0)}%` : 'n/a';
    out.push(
      `| ${r.database} | ${r.store} | ${Math.round(r.opsPerSecond).toLocaleString('en-US')} | ${p(typeorm)} | ${p(hand)} |`,
    );
  }
  if (result.skipped) out.push(`\n${result.skipped}`);
  return out.join('\n');
}
