import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface DemoProcess {
  url: string;
  child: ChildProcess;
}

/**
 * Starts one demo process (or another script printing the same line) on a free port; resolves
 * with its URL once it listens. `env` adds to this process's environment (an undefined value
 * removes the variable). Another script may print `ready` instead (its URL is then '').
 */
export function startDemoProcess(
  env: Record<string, string | undefined>,
  args: readonly string[] = ['--import', 'tsx', 'examples/orders-api/src/main.ts'],
  cwd: string = root,
  ready: RegExp = /orders-api on (http:\/\/\S+)/,
): Promise<DemoProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...args], {
      cwd,
      // No payment window unless a test asks for one (`npm start` has 5 minutes); a variable
      // given as undefined is left unset.
      env: Object.fromEntries(
        Object.entries({
          ...process.env,
          PORT: '0',
          LOG_LEVEL: 'silent',
          PAYMENT_WINDOW: '0',
          ...env,
        }).filter(([, value]) => value !== undefined),
      ),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo did not start in 60 s:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = ready.exec(output);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ url: m[1] ?? '', child });
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

/**
 * `count` demo processes on one server database, alternately on Express and Fastify: the first
 * creates the schema, the others start once it is there.
 */
export async function startDemoProcesses(
  env: Record<string, string>,
  count: number,
): Promise<DemoProcess[]> {
  const processes = [await startDemoProcess({ ...env, PLATFORM: 'express' })];
  for (let i = 1; i < count; i++) {
    processes.push(await startDemoProcess({ ...env, PLATFORM: i % 2 ? 'fastify' : 'express' }));
  }
  return processes;
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

export { postJson, postJsonWithHeaders } from './post-json.js';
