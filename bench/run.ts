/**
 * `npm run bench`: every benchmark in one run, printed as Markdown and written to
 * bench/results/bench.json with machine and version details. `BENCH_QUICK=1` for small counts
 * (what .ci/run runs, so that the benchmarks cannot rot). Benchmarks report; they assert nothing
 * about timings.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { IMPLS, type Impl } from './http/bench-app.js';
import { growthBench } from './http/growth.bench.js';
import { httpBench, postgresContention, type HttpRow } from './http/http.bench.js';
import { describeMachineInfo, machineInfo } from './machine-info.js';
import { printStores, storesBench } from './stores.bench.js';

const QUICK = process.env.BENCH_QUICK === '1';
/** `BENCH_ONLY=http`: the HTTP tables alone (results in bench/results/bench.http[.quick].json). */
const ONLY_HTTP = process.env.BENCH_ONLY === 'http';
const name = (impl: Impl) => `(${impl}) ${IMPLS[impl]}`;
const f = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
const pct = (a: number, b: number | undefined) => (b ? `${((a / b) * 100).toFixed(0)}%` : 'n/a');
const meta = await machineInfo(['@nestjs/core', 'xstate', 'typeorm', 'zod', 'autocannon', 'pg']);
console.log(describeMachineInfo('bench', meta));

if (!ONLY_HTTP) {
  console.log('## Core (npm run bench:core)\n');
  execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/core.bench.ts'], {
    stdio: 'inherit',
    env: process.env,
  });
}

const http = await httpBench();
const find = (r: HttpRow, impl: Impl, scenario = r.scenario) =>
  http.rows.find(
    (h) =>
      h.database === r.database &&
      h.platform === r.platform &&
      h.impl === impl &&
      h.scenario === scenario,
  );
console.log(
  '\n## HTTP: legal PAY (a write), every way; app and load generator in separate processes, 10 connections\n',
);
console.log(
  '| database | platform | implementation | req/s | p50 ms | p99 ms | req/s vs (d1) | req/s vs (d3) | p99 vs (d3) |',
);
console.log('|---|---|---|---:|---:|---:|---:|---:|---:|');
for (const r of http.rows.filter((x) => x.scenario === 'legal')) {
  const d1 = find(r, 'd1');
  const d3 = find(r, 'd3');
  console.log(
    `| ${r.database} | ${r.platform} | ${name(r.impl)} | ${f(r.rps)} | ${r.p50} | ${r.p99} | ${pct(r.rps, d1?.rps)} | ${pct(r.rps, d3?.rps)} | ${pct(r.p99, d3?.p99)} |`,
  );
}
console.log(
  '\n## HTTP: legal TRACK (an event no guard decides), read then commit (a), the guard committing in one statement (a1), by hand\n',
);
console.log(
  '| database | platform | implementation | req/s | p50 ms | p99 ms | req/s vs (d1) | req/s vs (d3) | p99 vs (d1) |',
);
console.log('|---|---|---|---:|---:|---:|---:|---:|---:|');
for (const r of http.rows.filter((x) => x.scenario === 'track')) {
  const d1 = find(r, 'd1');
  const d3 = find(r, 'd3');
  console.log(
    `| ${r.database} | ${r.platform} | ${name(r.impl)} | ${f(r.rps)} | ${r.p50} | ${r.p99} | ${pct(r.rps, d1?.rps)} | ${pct(r.rps, d3?.rps)} | ${pct(r.p99, d1?.p99)} |`,
  );
}
console.log("\n## The outbox's cost on the legal route: (ao) vs (a)\n");
console.log(
  '| database | platform | relay | req/s (a) | req/s (ao) | (ao) vs (a) | p99 (a) | p99 (ao) |',
);
console.log('|---|---|---|---:|---:|---:|---:|---:|');
for (const r of http.rows.filter((x) => x.scenario === 'legal' && x.impl === 'a')) {
  const ao = find(r, 'ao');
  if (ao) {
    console.log(
      `| ${r.database} | ${r.platform} | ${r.database === 'PostgreSQL' ? 'a worker process' : 'the app'} | ${f(r.rps)} | ${f(ao.rps)} | ${pct(ao.rps, r.rps)} | ${r.p99} | ${ao.p99} |`,
    );
  }
}
console.log('\n## The store adapters on the legal route: vs (a), the TypeORM store\n');
console.log('| database | platform | store | req/s | vs (a) | p99 ms | p99 (a) |');
console.log('|---|---|---|---:|---:|---:|---:|');
for (const r of http.rows.filter((x) => x.scenario === 'legal' && x.impl === 'a')) {
  for (const impl of ['a-drizzle', 'a-prisma', 'a-mikro-orm'] as const) {
    const s = find(r, impl);
    if (s) {
      console.log(
        `| ${r.database} | ${r.platform} | ${IMPLS[impl].replace('@Transition + commit, ', '')} | ${f(s.rps)} | ${pct(s.rps, r.rps)} | ${s.p99} | ${r.p99} |`,
      );
    }
  }
}
console.log('\n## HTTP: refused SHIP on a cancelled order (409)\n');
console.log(
  '| database | platform | implementation | req/s | p99 ms | req/s vs hand-written 409 |',
);
console.log('|---|---|---|---:|---:|---:|');
for (const r of http.rows.filter((x) => x.scenario === 'refused')) {
  console.log(
    `| ${r.database} | ${r.platform} | ${r.impl === 'a' ? '(a) @Transition, full 409 body' : '(b) hand-written conditional UPDATE, bare 409'} | ${f(r.rps)} | ${r.p99} | ${pct(r.rps, find(r, 'b')?.rps)} |`,
  );
}
if (http.skipped) console.log(`\n${http.skipped}`);

if (ONLY_HTTP) {
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL(`./results/bench.http${QUICK ? '.quick' : ''}.json`, import.meta.url),
    JSON.stringify({ meta, http }, null, 2) + '\n',
  );
  process.exit(0);
}

const contention = await postgresContention();
console.log('\n## Contention: one hot order, PostgreSQL, 4 app processes (2 Express, 2 Fastify)\n');
if (contention.skipped) console.log(`skipped: ${contention.skipped}`);
else {
  console.log(
    '| implementation | connections | req/s | p99 ms | 409 rate | lost updates | req/s vs (d2) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const c of contention.rows) {
    const d2 = contention.rows.find((x) => x.impl === 'd2' && x.connections === c.connections);
    console.log(
      `| ${name(c.impl)} | ${c.connections} | ${f(c.rps)} | ${c.p99} | ${(c.conflictRate * 100).toFixed(1)}% | ${c.lostUpdates} | ${pct(c.rps, d2?.rps)} |`,
    );
  }
}

const growth = await growthBench();
console.log('\n## Growth: the guard alone (canActivate, in-memory loader, no HTTP)\n');
console.log('| dimension | size | µs per check |');
console.log('|---|---:|---:|');
for (const g of growth)
  console.log(`| ${g.dimension} | ${g.size} | ${(g.nsPerCheck / 1000).toFixed(2)} |`);

const stores = await storesBench();
printStores(stores);

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(`./results/bench${QUICK ? '.quick' : ''}.json`, import.meta.url),
  JSON.stringify({ meta, http, contention, growth, stores }, null, 2) + '\n',
);
