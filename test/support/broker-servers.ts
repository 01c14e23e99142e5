import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/** Whether something accepts TCP connections on the loopback port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A server process started for a suite: where it listens, and how to stop it. */
export interface BrokerServer {
  host: string;
  port: number;
  stop: () => void | Promise<void>;
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

/**
 * A throwaway `rabbitmq-server` (Debian's package) on free loopback ports, its data in a temporary
 * directory; it takes 10-20 s to start. RabbitMQ refuses to run as root, so under root it runs as
 * the package's `rabbitmq` user. `stop()` kills the node and the `epmd` it started.
 */
export async function startRabbitMq(): Promise<BrokerServer> {
  const [port, dist] = [await freePort(), await freePort()];
  const dir = await mkdtemp(join(tmpdir(), 'tg-rabbitmq-'));
  const user: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'rabbitmq']).toString().trim());
    Object.assign(user, { uid: id('-u'), gid: id('-g') });
    await chown(dir, user.uid!, user.gid!);
  }
  const child = spawn('rabbitmq-server', [], {
    ...user,
    stdio: 'ignore',
    env: {
      ...process.env,
      HOME: dir,
      RABBITMQ_NODENAME: `tg${port}@localhost`,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(dist),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    },
  });
  // It logs to a file; it is ready once its AMQP listener accepts connections.
  let exited: string | undefined;
  child.once('error', (err) => (exited = `${err.message} (apt-get install rabbitmq-server)`));
  child.once('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
  const deadline = Date.now() + 60_000;
  while (!(await accepts(port))) {
    if (exited !== undefined || Date.now() > deadline) {
      const log = await readFile(join(dir, 'log', `tg${port}@localhost.log`), 'utf8').catch(
        () => '',
      );
      throw new Error(
        `rabbitmq-server did not start (${exited ?? 'not listening after 60 s'}):\n${log.slice(-2000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    host: '127.0.0.1',
    port,
    stop: async () => {
      // The node (beam.smp) does not stay in the script's process group; its command line holds
      // the directory, which is this server's alone.
      const pids = () => {
        const found = spawnSync('pgrep', ['-f', dir]);
        return found.stdout.toString().split(/\s+/).filter(Boolean).map(Number);
      };
      for (const pid of [child.pid!, ...pids()]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      for (let i = 0; i < 50 && pids().length > 0; i++)
        await new Promise((r) => setTimeout(r, 100));
      // The node started epmd as a daemon; it refuses to stop while a node is registered.
      await new Promise((resolve) =>
        spawn('epmd', ['-kill'], { stdio: 'ignore' }).on('exit', resolve).on('error', resolve),
      );
      await rm(dir, { recursive: true, force: true });
    },
  };
}
