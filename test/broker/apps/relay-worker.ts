/**
 * One outbox relay in a process of its own, as production runs it beside the app: it claims
 * the messages of `transition_outbox` (TypeORM store on DATABASE_URL, or SQLITE_FILE) and emits
 * each as a `TransitionEnvelope` through a `ClientProxy` to BROKER_URL (redis:// or nats://),
 * exactly what `outbox.publish` does in an app. Prints "relay ready" once it runs; stops on
 * SIGTERM after the round in flight. For the benchmark (bench/outbox/relay.bench.ts) and the
 * redelivery test: LEASE_MS (default 30,000) and CRASH_AFTER_PUBLISH=n, which kills this process
 * with SIGKILL right after its n-th message reached the broker, before the relay records it.
 * NOTIFY=1 (PostgreSQL): it also listens for `outbox.notify`'s notifications (PostgresWakeUp).
 */
import 'reflect-metadata';
import { ClientProxyFactory, Transport, type ClientOptions } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { DataSource } from 'typeorm';
import { transitionEnvelope } from '../../../src/index.js';
import { OutboxRelay, PostgresWakeUp } from '../../../src/store/index.js';
import {
  HandledTransitionEntry,
  TransitionOutboxEntry,
  TypeOrmOutboxStore,
} from '../../../src/store/typeorm/index.js';

const env = process.env;
const broker = new URL(env.BROKER_URL ?? '');
const client = ClientProxyFactory.create(
  (broker.protocol === 'nats:'
    ? { transport: Transport.NATS, options: { servers: [broker.toString()] } }
    : {
        transport: Transport.REDIS,
        options: { host: broker.hostname, port: Number(broker.port) },
      }) as ClientOptions,
);
await client.connect();
const crashAfter = env.CRASH_AFTER_PUBLISH ? Number(env.CRASH_AFTER_PUBLISH) : undefined;
let published = 0;
const entities = [TransitionOutboxEntry, HandledTransitionEntry];
const dataSource = new DataSource(
  env.DATABASE_URL
    ? { type: 'postgres', url: env.DATABASE_URL, entities, extra: { max: 4 } }
    : { type: 'better-sqlite3', database: env.SQLITE_FILE ?? '', entities, enableWAL: true },
);
await dataSource.initialize();
const relay = new OutboxRelay(
  new TypeOrmOutboxStore(dataSource),
  new Map([
    [
      'publish:ORDER_EVENTS:order',
      async (delivery) => {
        const envelope = transitionEnvelope(delivery);
        await lastValueFrom(client.emit(envelope.type, envelope), { defaultValue: undefined });
        if (++published === crashAfter) process.kill(process.pid, 'SIGKILL');
      },
    ],
  ]),
  {
    batchSize: Number(env.BATCH_SIZE ?? 50),
    pollIntervalMs: Number(env.POLL_INTERVAL_MS ?? 100),
    leaseMs: Number(env.LEASE_MS ?? 30_000),
    maxAttempts: 10,
    backoff: { baseMs: 100, maxMs: 5000 },
    keepDeliveredMs: 0,
  },
  { warn: (m) => console.error(m), error: (m) => console.error(m) },
);
relay.start();
// NOTIFY=1 (PostgreSQL): woken by the committers' notifications, not only by its polls.
const wakeUp =
  env.NOTIFY === '1' && env.DATABASE_URL
    ? await PostgresWakeUp.create({ url: env.DATABASE_URL, channel: 'transition_outbox' }, console)
    : undefined;
await wakeUp?.listen(() => relay.nudge());
console.log('relay ready');
process.once('SIGTERM', () => {
  void relay
    .stop()
    .then(() => Promise.all([client.close(), dataSource.destroy(), wakeUp?.close()]))
    .then(() => process.exit(0));
});
