/**
 * `npm run bench`: every benchmark in one run, printed as Markdown and written to
 * bench/results/bench.json with machine and version details. `BENCH_QUICK=1` for small counts
 * (what .ci/run runs, so that the benchmarks cannot rot). Benchmarks report; they assert nothing
 * about timings.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { growthBench, httpBench, IMPLS, postgresContention } from './http/http.bench.js';
import { describeMachineInfo, machineInfo } from './machine-info.js';

const QUICK = process.env.BENCH_QUICK === '1';
const implName = (impl: string) => `(${impl}) ${IMPLS[impl as keyof typeof IMPLS]}`;
const meta = await machineInfo(['@nestjs/core', 'xstate', 'typeorm', 'zod', 'autocannon']);
console.log(describeMachineInfo('bench', meta));

console.log('## Core (npm run bench:core)\n');
execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/core.bench.ts'], {
  stdio: 'inherit',
  env: process.env,
});

const { http, contention } = await httpBench();
const f = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
console.log('\n## HTTP: the same route three ways (10 connections, SQLite file, loopback)\n');
console.log(
  '| platform | scenario | implementation | req/s | p50 ms | p99 ms | req/s vs hand-written | p99 vs hand-written |',
);
console.log('|---|---|---|---:|---:|---:|---:|---:|');
for (const r of http.sort(
  (a, b) =>
    a.platform.localeCompare(b.platform) ||
    a.scenario.localeCompare(b.scenario) ||
    a.impl.localeCompare(b.impl),
)) {
  const hand = http.find(
    (h) => h.platform === r.platform && h.scenario === r.scenario && h.impl === 'b',
  )!;
  const name = implName(r.impl);
  console.log(
    `| ${r.platform} | ${r.scenario} | ${name} | ${f(r.rps)} | ${r.p50} | ${r.p99} | ${((r.rps / hand.rps) * 100).toFixed(0)}% | ${hand.p99 ? `${((r.p99 / hand.p99) * 100).toFixed(0)}%` : 'n/a'} |`,
  );
}
console.log('\n## Contention: one order, PAY from every connection (SQLite file)\n');
console.log(
  '| platform | implementation | connections | req/s | p99 ms | 409 rate | lost updates |',
);
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const c of contention) {
  console.log(
    `| ${c.platform} | ${implName(c.impl)} | ${c.connections} | ${f(c.rps)} | ${c.p99} | ${(c.conflictRate * 100).toFixed(1)}% | ${c.lostUpdates} |`,
  );
}
const pgContention = await postgresContention();
console.log('\n## Contention across processes: one order, PostgreSQL, 4 app processes\n');
if (pgContention.skipped) console.log(`skipped: ${pgContention.skipped}`);
else {
  console.log('| implementation | connections | req/s | p99 ms | 409 rate | lost updates |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const c of pgContention.rows) {
    console.log(
      `| ${implName(c.impl)} | ${c.connections} | ${f(c.rps)} | ${c.p99} | ${(c.conflictRate * 100).toFixed(1)}% | ${c.lostUpdates} |`,
    );
  }
}
const growth = await growthBench();
console.log('\n## Growth: the guard alone (canActivate, in-memory loader, no HTTP)\n');
console.log('| dimension | size | µs per check |');
console.log('|---|---:|---:|');
for (const g of growth)
  console.log(`| ${g.dimension} | ${g.size} | ${(g.nsPerCheck / 1000).toFixed(2)} |`);

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(`./results/bench${QUICK ? '.quick' : ''}.json`, import.meta.url),
  JSON.stringify({ meta, http, contention, postgresContention: pgContention, growth }, null, 2) +
    '\n',
);
