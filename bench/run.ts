/**
 * `npm run bench`: every benchmark in one run, printed as Markdown and written to
 * bench/results/bench.json with machine and version details. `BENCH_QUICK=1` for small counts
 * (what .ci/run runs, so that the benchmarks cannot rot). Benchmarks report; they assert nothing
 * about timings.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { growthBench } from './http/growth.bench.js';
import { httpBench, postgresContention } from './http/http.bench.js';
import { benchTables } from './report.js';
import { describeMachineInfo, machineInfo } from './machine-info.js';
import { storesBench } from './stores.bench.js';
import { triggerCostBench } from './trigger-cost.bench.js';

const QUICK = process.env.BENCH_QUICK === '1';
/** `BENCH_ONLY=http`: the HTTP tables alone (results in bench/results/bench.http[.quick].json). */
const ONLY_HTTP = process.env.BENCH_ONLY === 'http';
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
console.log(`\n${benchTables({ meta, http })}`);

if (ONLY_HTTP) {
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  // A run narrowed to some routes, databases or platforms says so: `npm run docs` renders only a
  // complete one.
  const narrowed = ['BENCH_IMPLS', 'BENCH_DATABASES', 'BENCH_PLATFORMS'].filter(
    (name) => process.env[name],
  );
  writeFileSync(
    new URL(`./results/bench.http${QUICK ? '.quick' : ''}.json`, import.meta.url),
    JSON.stringify(
      { meta: narrowed.length ? { ...meta, narrowed: narrowed.join(', ') } : meta, http },
      null,
      2,
    ) + '\n',
  );
  process.exit(0);
}

console.log('\n## The outbox relay (npm run bench:relay)\n');
execFileSync(process.execPath, ['--import', 'tsx', 'bench/outbox/relay.bench.ts'], {
  stdio: 'inherit',
  env: process.env,
});

console.log('\n## Durable timers (npm run bench:timers)\n');
execFileSync(process.execPath, ['--import', 'tsx', 'bench/timers/timers.bench.ts'], {
  stdio: 'inherit',
  env: process.env,
});

const contention = await postgresContention();
const growth = await growthBench();
const stores = await storesBench();
const trigger = await triggerCostBench();
console.log(`\n${benchTables({ meta, http: { rows: [] }, contention, growth, stores, trigger })}`);

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(`./results/bench${QUICK ? '.quick' : ''}.json`, import.meta.url),
  JSON.stringify({ meta, http, contention, growth, stores, trigger }, null, 2) + '\n',
);
