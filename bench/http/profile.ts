/**
 * Where one route's server CPU goes: the benchmark app (SQLite, or `DATABASE_URL`) under V8's
 * CPU profiler, one implementation hammered for a few seconds, then the self time per function
 * and per package, heaviest first. What the layer rows of `npm run bench` point at, found here:
 *   npm run bench:profile -- a            (route (a), Fastify, 8 s)
 *   PLATFORM=express SECONDS=5 npm run bench:profile -- a ah
 * The app runs compiled (see `compiled-app.ts`), as an installed library does. The .cpuprofile
 * files stay in .data/profiles/ for Chrome DevTools.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cannon, insertOrders } from './http.bench.js';
import { DataSource } from 'typeorm';
import { root, startDemoProcess, stopDemoProcess } from '../../test/support/processes.js';
import { IMPLS, type Impl } from './bench-app.js';
import { benchServerArgs } from './compiled-app.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const impls = process.argv.slice(2) as Impl[];
const unknown = impls.filter((i) => !(i in IMPLS));
if (!impls.length || unknown.length) {
  console.error(
    `usage: npm run bench:profile -- <impl...> (one of ${Object.keys(IMPLS).join(', ')})`,
  );
  process.exit(2);
}
const platform = process.env.PLATFORM === 'express' ? 'express' : 'fastify';
const seconds = Number(process.env.SECONDS ?? 8);
for (const impl of impls) {
  const dir = join(root, '.data', 'profiles', impl);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(root, '.data', `profile-${process.pid}.sqlite`);
  rmSync(file, { force: true });
  const env: Record<string, string> = process.env.DATABASE_URL ? {} : { SQLITE_FILE: file };
  const app = await startDemoProcess({ ...env, PLATFORM: platform }, [
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
    ...benchServerArgs(),
  ]);
  const db = new DataSource(
    process.env.DATABASE_URL
      ? { type: 'postgres', url: process.env.DATABASE_URL }
      : { type: 'better-sqlite3', database: file },
  );
  await db.initialize();
  const postgres = db.options.type === 'postgres';
  const ids = await insertOrders(
    {
      name: postgres ? 'PostgreSQL' : 'SQLite',
      db,
      placeholder: (n) => (postgres ? `$${n}` : '?'),
    },
    'pending',
    300,
  );
  await db.destroy();
  const paths = ids.map((id) => `/${impl}/orders/${id}/pay`);
  const hammer = (duration: number) =>
    cannon(app.url, paths, { amount: 1 }, undefined, impl === 'ak', duration);
  await hammer(2); // warm-up: left out below, with the bootstrap
  const r = await hammer(seconds);
  const stopping = performance.now();
  await stopDemoProcess(app);
  const shutdownUs = (performance.now() - stopping) * 1000;
  rmSync(file, { force: true });
  // The main thread's profile (tsx's loader thread writes one too, numbered after it).
  const [name] = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  const profile = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Profile;
  console.log(
    `\n## (${impl}) ${IMPLS[impl]}, ${platform}: ${Math.round(r.rps)} req/s, ${r.other} non-2xx; profile ${join(dir, name)}\n`,
  );
  // The measured run only: the samples of its last `seconds` before the shutdown began.
  const to = profile.endTime - shutdownUs;
  report(profile, to - seconds * 1_000_000, to, r.ok + r.other);
}

/** Self time per function and per package within [from, to] (µs), as µs per request. */
function report(profile: Profile, from: number, to: number, requests: number): void {
  const hitsOf = new Map<number, number>();
  let at = profile.startTime;
  let perSample = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i];
    if (at < from || at > to) return;
    hitsOf.set(id, (hitsOf.get(id) ?? 0) + 1);
    perSample += profile.timeDeltas[i];
  });
  perSample /= [...hitsOf.values()].reduce((a, b) => a + b, 0) || 1;
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = hitsOf.get(node.id) ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    // The compiled app's files, named as their sources (src/..., bench/...).
    const where = url.replace(`file://${root}/`, '').replace(/^\.data\/bench-build\//, '');
    const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
    const pkg = packageOf(where, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
  }
  const us = (hits: number) => ((hits * perSample) / requests).toFixed(1);
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  console.log('| package | µs/request (self) |\n|---|---:|');
  for (const [pkg, hits] of top(byPackage, 20)) {
    if (pkg !== '(idle)') console.log(`| ${pkg} | ${us(hits)} |`);
  }
  console.log('\n| function | µs/request (self) |\n|---|---:|');
  for (const [fn, hits] of top(byFunction, 40)) {
    if (!fn.startsWith('(idle)')) console.log(`| ${fn} | ${us(hits)} |`);
  }
}

function packageOf(where: string, functionName: string): string {
  if (!where) return functionName.startsWith('(') ? functionName : '(native)';
  if (where.startsWith('src/')) return `library: ${where.split('/').slice(0, 3).join('/')}`;
  if (where.startsWith('bench/') || where.startsWith('examples/')) return 'bench app';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (m) return m[1];
  if (where.startsWith('node:')) return 'node';
  return where;
}
