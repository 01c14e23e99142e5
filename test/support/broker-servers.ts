import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A free loopback port (closed again before it is returned). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A server process started for a suite: where it listens, and how to stop it. */
export interface BrokerServer {
  host: string;
  port: number;
  stop: () => void;
}

/** Spawns `command` and resolves once its output shows `ready`; names the Debian package otherwise. */
async function startServer(
  command: string,
  args: (port: number) => string[],
  ready: string,
  pkg: string,
): Promise<BrokerServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(command, args(port), { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start in 10 s`)), 10_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${command} could not start (apt-get install ${pkg}): ${err.message}`));
    });
    const onData = (chunk: Buffer) => {
      if (chunk.toString().includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
  return { host: '127.0.0.1', port, stop: () => void child.kill('SIGKILL') };
}

/** A throwaway `redis-server` (Debian's package) on a free loopback port, with no persistence. */
export const startRedis = (): Promise<BrokerServer> =>
  startServer(
    'redis-server',
    (port) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    'Ready to accept connections',
    'redis-server',
  );

/** A throwaway `nats-server` (Debian's package) on a free loopback port. */
export const startNats = (): Promise<BrokerServer> =>
  startServer(
    'nats-server',
    (port) => ['-a', '127.0.0.1', '-p', String(port)],
    'Server is ready',
    'nats-server',
  );
