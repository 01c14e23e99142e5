/**
 * `npm run bench:relay`: the outbox relay to real brokers (Debian's `redis-server` and
 * `nats-server`), on SQLite and PostgreSQL, with 1 and 4 relay processes of their own
 * (test/broker/apps/relay-worker.ts, as production runs them beside the app):
 * - throughput: a backlog of messages (100 resources x 10 versions per 1,000 messages), committed
 *   at once, until a consumer (a Nest microservice on the broker) has every one: messages/s;
 * - lateness: messages committed one per transaction at a steady rate while the relays run, from
 *   the commit (the envelope's `time`) to the consumer: p50 and p99 in ms. The relays are in
 *   other processes: they find new messages at their next poll (100 ms), or, on PostgreSQL in a
 *   third run, when the committer's NOTIFY wakes them (`outbox.notify`, PostgresWakeUp).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import type { TransitionEnvelope } from '../../src/index.js';
import {
  PostgresWakeUp,
  type NewOutboxMessage,
  type TransitionRecord,
} from '../../src/store/index.js';
import { payRecord } from '../../test/support/transition-records.js';
import {
  HandledTransitionEntry,
  TransitionOutboxEntry,
  TypeOrmOutboxStore,
} from '../../src/store/typeorm/index.js';
import { startNats, startRedis, type BrokerServer } from '../../test/support/broker-servers.js';
import { freshDatabase } from '../../test/support/pg-database.js';
import {
  root,
  startDemoProcess,
  stopDemoProcess,
  type DemoProcess,
} from '../../test/support/processes.js';
import { createTables, outboxLibraryTables } from '../../test/support/store-tables.js';
import { describeMachineInfo, machineInfo } from '../machine-info.js';
import { postgres } from '../servers.js';

const QUICK = process.env.BENCH_QUICK === '1';
const BACKLOG = QUICK ? 1000 : 10_000;
const LIVE_SECONDS = QUICK ? 2 : 5;
const LIVE_RATE = 200;

export interface RelayRow {
  readonly database: string;
  readonly broker: string;
  readonly relays: number;
  /** How the relays learn of new messages: their polls, or LISTEN/NOTIFY (PostgreSQL). */
  readonly wake?: 'poll' | 'notify';
  readonly backlog: number;
  readonly perSecond: number;
  readonly live: number;
  readonly lateP50Ms: number;
  readonly lateP99Ms: number;
}

/** What the consumer received: each envelope once, with the time it came. */
const received = new Map<string, { at: number; envelope: TransitionEnvelope }>();

@Controller()
class Consumer {
  @EventPattern('order.PAY')
  pay(@Payload() envelope: TransitionEnvelope) {
    if (!received.has(envelope.id)) received.set(envelope.id, { at: Date.now(), envelope });
  }
}

@Module({ controllers: [Consumer] })
class ConsumerModule {}

const record = (n: number, version: number, resources: number) =>
  payRecord(n, String(n % resources), version);

const message = (r: TransitionRecord): NewOutboxMessage => ({
  handler: 'publish:ORDER_EVENTS:order',
  record: r,
  payload: { amount: 100 },
});

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0;

async function until(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** One database and broker: the rows for 1 and 4 relay processes. */
async function measure(
  database: { name: string; env: Record<string, string>; dataSource: DataSource },
  broker: { name: string; url: string },
): Promise<RelayRow[]> {
  const rows: RelayRow[] = [];
  const store = new TypeOrmOutboxStore(database.dataSource);
  let seq = 0;
  const runs: { relays: number; wake: 'poll' | 'notify' }[] = [
    { relays: 1, wake: 'poll' },
    { relays: 4, wake: 'poll' },
  ];
  // On PostgreSQL also: the committer notifies (`outbox.notify`), the relay listens.
  const url = database.env.DATABASE_URL;
  if (url) runs.push({ relays: 1, wake: 'notify' });
  for (const { relays, wake } of runs) {
    const workers: DemoProcess[] = [];
    const wakeUp =
      wake === 'notify' && url
        ? await PostgresWakeUp.create({ url, channel: 'transition_outbox' }, console)
        : undefined;
    try {
      for (let i = 0; i < relays; i++) {
        workers.push(
          await startDemoProcess(
            { ...database.env, BROKER_URL: broker.url, NOTIFY: wakeUp ? '1' : '0' },
            ['--import', 'tsx', 'test/broker/apps/relay-worker.ts'],
            root,
            /relay ready/,
          ),
        );
      }
      // The backlog, committed at once: 100 resources x 10 versions per 1,000 messages.
      received.clear();
      const resources = BACKLOG / 10;
      const first = seq;
      await database.dataSource.transaction(async (tx) => {
        for (let chunk = 0; chunk < BACKLOG; chunk += 500) {
          await store.enqueue(
            tx,
            Array.from({ length: 500 }, (_, i) => {
              const n = chunk + i;
              return message(record(first + n, Math.floor(n / resources) + 1, resources));
            }),
          );
        }
      });
      seq += BACKLOG;
      // PostgreSQL plans the claim from the table's statistics: a table never analyzed (as
      // here, created a moment ago) is taken for empty, and each claim sorts every waiting
      // message. Autovacuum analyzes a table once a tenth of it changed; so does this, at once.
      if (database.name === 'PostgreSQL')
        await database.dataSource.query('ANALYZE transition_outbox');
      const committed = Date.now();
      if (!(await until(() => received.size >= BACKLOG, 300_000))) {
        throw new Error(`relay bench: ${received.size} of ${BACKLOG} messages arrived`);
      }
      const last = Math.max(...[...received.values()].map((r) => r.at));
      const perSecond = BACKLOG / ((last - committed) / 1000);
      // Steady commits, one message per transaction, while the relays poll.
      received.clear();
      const live: number[] = [];
      const end = Date.now() + LIVE_SECONDS * 1000;
      while (Date.now() < end) {
        const tick = Date.now();
        for (let i = 0; i < LIVE_RATE / 20; i++) {
          const n = seq++;
          live.push(n);
          await database.dataSource.transaction((tx) =>
            store.enqueue(tx, [message(record(n, 1, 1_000_000))]),
          );
          wakeUp?.notify();
        }
        await new Promise((r) => setTimeout(r, Math.max(0, 50 - (Date.now() - tick))));
      }
      if (!(await until(() => received.size >= live.length, 60_000))) {
        throw new Error(`relay bench: ${received.size} of ${live.length} live messages arrived`);
      }
      const late = [...received.values()].map((r) => r.at - Date.parse(r.envelope.time));
      rows.push({
        database: database.name,
        broker: broker.name,
        relays,
        wake,
        backlog: BACKLOG,
        perSecond: Math.round(perSecond),
        live: live.length,
        lateP50Ms: Math.round(percentile(late, 0.5)),
        lateP99Ms: Math.round(percentile(late, 0.99)),
      });
    } finally {
      await Promise.all(workers.map(stopDemoProcess));
      await wakeUp?.close();
    }
  }
  return rows;
}

export async function relayBench(): Promise<{ rows: RelayRow[]; skipped: string[] }> {
  const rows: RelayRow[] = [];
  const skipped: string[] = [];
  const pg = postgres();
  if ('skip' in pg) skipped.push(`PostgreSQL: ${pg.skip}`);
  const entities = [TransitionOutboxEntry, HandledTransitionEntry];
  const databases: (() => Promise<{
    name: string;
    env: Record<string, string>;
    dataSource: DataSource;
    close: () => Promise<void>;
  }>)[] = [
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tg-bench-relay-'));
      const file = join(dir, 'relay.sqlite');
      await createTables('sqlite', file, outboxLibraryTables);
      const dataSource = new DataSource({
        type: 'better-sqlite3',
        database: file,
        entities,
        enableWAL: true,
      });
      await dataSource.initialize();
      return {
        name: 'SQLite',
        env: { SQLITE_FILE: file },
        dataSource,
        close: async () => {
          await dataSource.destroy();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ];
  if ('url' in pg) {
    databases.push(async () => {
      const db = await freshDatabase('bench_relay', pg.url);
      await createTables('postgres', db.url, outboxLibraryTables);
      const dataSource = new DataSource({ type: 'postgres', url: db.url, entities });
      await dataSource.initialize();
      return {
        name: 'PostgreSQL',
        env: { DATABASE_URL: db.url },
        dataSource,
        close: async () => {
          await dataSource.destroy();
          await db.stop();
        },
      };
    });
  }
  const brokers: {
    name: string;
    start: () => Promise<BrokerServer>;
    url: (s: BrokerServer) => string;
    options: (s: BrokerServer) => MicroserviceOptions;
  }[] = [
    {
      name: 'Redis',
      start: () => startRedis(),
      url: (s) => `redis://${s.host}:${s.port}`,
      options: (s) => ({ transport: Transport.REDIS, options: { host: s.host, port: s.port } }),
    },
    {
      name: 'NATS',
      start: () => startNats(),
      url: (s) => `nats://${s.host}:${s.port}`,
      options: (s) => ({
        transport: Transport.NATS,
        options: { servers: [`nats://${s.host}:${s.port}`] },
      }),
    },
  ];
  try {
    for (const open of databases) {
      for (const broker of brokers) {
        const server = await broker.start();
        const consumer = await NestFactory.createMicroservice<MicroserviceOptions>(ConsumerModule, {
          ...broker.options(server),
          logger: false,
        });
        await consumer.listen();
        const database = await open();
        try {
          rows.push(...(await measure(database, { name: broker.name, url: broker.url(server) })));
        } finally {
          await database.close();
          await consumer.close();
          await server.stop();
        }
      }
    }
  } finally {
    if ('stop' in pg) pg.stop();
  }
  return { rows, skipped };
}

/** The table: throughput of a backlog, lateness of steady commits. */
export function relayTable(result: {
  rows: readonly RelayRow[];
  skipped: readonly string[];
}): string {
  const out = [
    '### The outbox relay to brokers (relays in processes of their own, polling every 100 ms)\n',
    "A backlog committed at once (10 messages per resource), then one message per transaction at a steady rate: lateness is from the commit to the consumer. Woken: by the relays' polls, or by LISTEN/NOTIFY (`outbox.notify`, PostgreSQL: the committer notifies after each commit).\n",
    '| database | broker | relay processes | woken by | backlog | backlog messages/s | steady messages | lateness p50 ms | p99 ms |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|',
    ...result.rows.map(
      (r) =>
        `| ${r.database} | ${r.broker} | ${String(r.relays)} | ${r.wake === 'notify' ? 'NOTIFY' : 'polls'} | ${r.backlog.toLocaleString('en-US')} | ${r.perSecond.toLocaleString('en-US')} | ${r.live.toLocaleString('en-US')} | ${String(r.lateP50Ms)} | ${String(r.lateP99Ms)} |`,
    ),
  ];
  for (const s of result.skipped) out.push(`\n${s} rows skipped`);
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const meta = await machineInfo(['@nestjs/core', 'typeorm', 'pg', 'ioredis']);
  console.log(describeMachineInfo('bench:relay', meta));
  const result = await relayBench();
  console.log(relayTable(result));
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL(`../results/relay${QUICK ? '.quick' : ''}.json`, import.meta.url),
    JSON.stringify({ meta, ...result }, null, 2) + '\n',
  );
  process.exit(0);
}
