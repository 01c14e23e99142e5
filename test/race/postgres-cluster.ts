import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The PostgreSQL server for the multi-process races: the one `.ci/run` started
 * (`TG_POSTGRES_URL`), else a throwaway cluster started here with scripts/pg-cluster.sh when the
 * server binaries are installed. Returns undefined when neither is possible, with the reason.
 */
export function postgres(): { url: string; stop: () => void } | { skip: string } {
  if (process.env.TG_POSTGRES_URL)
    return { url: process.env.TG_POSTGRES_URL, stop: () => undefined };
  const parent = mkdtempSync(join(tmpdir(), 'tg-pg-'));
  chmodSync(parent, 0o755); // the server runs as 'postgres' when the tests run as root
  const dir = join(parent, 'cluster');
  try {
    const out = execFileSync(join(root, 'scripts/pg-cluster.sh'), ['start', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = out.trim().split('\n').pop()!;
    return { url, stop: () => execFileSync(join(root, 'scripts/pg-cluster.sh'), ['stop', dir]) };
  } catch (err) {
    return {
      skip: `no PostgreSQL server: TG_POSTGRES_URL is unset and scripts/pg-cluster.sh failed (${String((err as { stderr?: unknown }).stderr ?? err).trim()})`,
    };
  }
}

/**
 * A throwaway cluster of this suite's own, which it may stop and start (an outage): needs the
 * server binaries. Returns the reason instead when they are missing.
 */
export function ownCluster():
  { url: string; halt: () => void; resume: () => void; stop: () => void } | { skip: string } {
  const parent = mkdtempSync(join(tmpdir(), 'tg-pg-own-'));
  chmodSync(parent, 0o755);
  const dir = join(parent, 'cluster');
  const script = join(root, 'scripts/pg-cluster.sh');
  try {
    const out = execFileSync(script, ['start', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return {
      url: out.trim().split('\n').pop()!,
      halt: () => execFileSync(script, ['halt', dir]),
      resume: () => execFileSync(script, ['resume', dir]),
      stop: () => execFileSync(script, ['stop', dir]),
    };
  } catch (err) {
    return {
      skip: `no PostgreSQL server binaries (${String((err as { stderr?: unknown }).stderr ?? err).trim()})`,
    };
  }
}

export interface DemoProcess {
  url: string;
  child: ChildProcess;
}

/** Starts one demo process (or another script printing the same line) on a free port; resolves with its URL once it listens. */
export function startDemoProcess(
  env: Record<string, string>,
  args: readonly string[] = ['--import', 'tsx', 'examples/orders-api/src/main.ts'],
): Promise<DemoProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...args], {
      cwd: root,
      env: { ...process.env, PORT: '0', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      reject(new Error(`demo did not start in 60 s:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /orders-api on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ url: m[1], child });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code}:\n${output}`));
    });
  });
}

export async function stopDemoProcess(p: DemoProcess): Promise<void> {
  if (p.child.exitCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
  clearTimeout(timer);
  if (p.child.exitCode === null) p.child.kill('SIGKILL');
}

/** Runs `tasks` with at most `concurrency` in flight. */
export async function pool<T>(tasks: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]();
      }
    }),
  );
  return results;
}

export { postJson, postJsonWithHeaders } from '../support/post-json.js';
