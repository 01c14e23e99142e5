/**
 * A forced redelivery, end to end: a relay process publishes to Redis and is killed (SIGKILL)
 * right after its 30th message reached the broker, before it recorded any of its round as
 * delivered; once the lease (2 s) ends, a second relay process publishes that round again. The
 * consumer, a Nest microservice on its own PostgreSQL database, takes each message through
 * `TransitionInbox.receiveIn` in its own transaction: every message has exactly one effect,
 * though some came twice, and each order's messages first came in version order.
 */
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { TransitionInbox, type TransitionEnvelope } from '../../src/index.js';
import {
  HandledTransitionEntry,
  TransitionOutboxEntry,
  TypeOrmOutboxStore,
} from '../../src/store/typeorm/index.js';
import { startRedis, type BrokerServer } from '../support/broker-servers.js';
import { freshDatabase } from '../support/pg-database.js';
import { root, startDemoProcess, stopDemoProcess, type DemoProcess } from '../support/processes.js';
import { createTables, outboxLibraryTables } from '../support/store-tables.js';
import { payRecord } from '../support/transition-records.js';

const ORDERS = 20;
const VERSIONS = 10;
const entities = [TransitionOutboxEntry, HandledTransitionEntry];

/** The consumer's database and what it received. */
const consumer = {
  db: undefined as unknown as DataSource,
  receipts: 0,
  /** Each order's versions, in the order their messages first came. */
  firsts: new Map<string, number[]>(),
  seen: new Set<string>(),
};
let inbox: TransitionInbox;

@Controller()
class Warehouse {
  @EventPattern('order.PAY')
  async pay(@Payload() message: TransitionEnvelope) {
    consumer.receipts++;
    if (!consumer.seen.has(message.id)) {
      consumer.seen.add(message.id);
      consumer.firsts.set(message.subject, [
        ...(consumer.firsts.get(message.subject) ?? []),
        message.version ?? 0,
      ]);
    }
    await consumer.db.transaction((tx) =>
      inbox.receiveIn(tx, message, () =>
        tx.query('INSERT INTO effects (message_id, order_id, version) VALUES ($1, $2, $3)', [
          message.id,
          message.subject,
          message.version,
        ]),
      ),
    );
  }
}

@Module({ controllers: [Warehouse] })
class WarehouseModule {}

const record = (n: number) => payRecord(n, String(n % ORDERS), Math.floor(n / ORDERS) + 1);

describe('a relay killed after publishing, before recording it', () => {
  let server: BrokerServer;
  let producerDb: { url: string; stop: () => Promise<void> };
  let consumerDb: { url: string; stop: () => Promise<void> };
  let producer: DataSource;
  let microservice: INestMicroservice;
  const relays: DemoProcess[] = [];

  beforeAll(async () => {
    server = await startRedis();
    producerDb = await freshDatabase('redelivery_producer');
    consumerDb = await freshDatabase('redelivery_consumer');
    await createTables('postgres', producerDb.url, outboxLibraryTables);
    await createTables('postgres', consumerDb.url, (d) => [
      ...outboxLibraryTables(d),
      'CREATE TABLE effects (id serial PRIMARY KEY, message_id varchar(36) NOT NULL, order_id varchar(20) NOT NULL, version integer NOT NULL)',
    ]);
    producer = await new DataSource({
      type: 'postgres',
      url: producerDb.url,
      entities,
    }).initialize();
    consumer.db = await new DataSource({
      type: 'postgres',
      url: consumerDb.url,
      entities,
    }).initialize();
    inbox = new TransitionInbox(new TypeOrmOutboxStore(consumer.db), 'warehouse');
    microservice = await NestFactory.createMicroservice<MicroserviceOptions>(WarehouseModule, {
      transport: Transport.REDIS,
      options: { host: server.host, port: server.port },
      logger: false,
    });
    await microservice.listen();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(relays.map(stopDemoProcess));
    await microservice?.close();
    await producer?.destroy();
    await consumer.db?.destroy();
    await producerDb?.stop();
    await consumerDb?.stop();
    await server?.stop();
  });

  it('has every message take effect once, though some come twice, each order in order', async () => {
    const outbox = new TypeOrmOutboxStore(producer);
    await producer.transaction((tx) =>
      outbox.enqueue(
        tx,
        Array.from({ length: ORDERS * VERSIONS }, (_, n) => ({
          handler: 'publish:ORDER_EVENTS:order',
          record: record(n),
          payload: { amount: 1 },
        })),
      ),
    );
    const env = {
      DATABASE_URL: producerDb.url,
      BROKER_URL: `redis://${server.host}:${server.port}`,
      LEASE_MS: '2000',
      BATCH_SIZE: '20',
    };
    const worker = ['--import', 'tsx', 'test/broker/apps/relay-worker.ts'];
    const first = await startDemoProcess(
      { ...env, CRASH_AFTER_PUBLISH: '30' },
      worker,
      root,
      /relay ready/,
    );
    relays.push(first);
    const exit = await new Promise<NodeJS.Signals | null>((resolve) =>
      first.child.once('exit', (_code, signal) => resolve(signal)),
    );
    expect(exit).toBe('SIGKILL');
    // Its second round is claimed, partly published, and recorded nowhere.
    const [held] = (await producer.query(
      `SELECT count(*)::int AS n FROM transition_outbox WHERE claim IS NOT NULL`,
    )) as { n: number }[];
    expect(held.n).toBe(20);
    relays.push(await startDemoProcess(env, worker, root, /relay ready/));
    const deadline = Date.now() + 60_000;
    const count = async () =>
      ((await consumer.db.query('SELECT count(*)::int AS n FROM effects')) as { n: number }[])[0].n;
    while ((await count()) < ORDERS * VERSIONS && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const effects = (await consumer.db.query(
      'SELECT message_id, order_id, version FROM effects ORDER BY id',
    )) as { message_id: string; order_id: string; version: number }[];
    expect(new Set(effects.map((e) => e.message_id)).size).toBe(effects.length);
    expect(effects).toHaveLength(ORDERS * VERSIONS);
    // The killed relay's published messages came again, and were skipped.
    expect(consumer.receipts).toBeGreaterThan(ORDERS * VERSIONS);
    for (let order = 0; order < ORDERS; order++) {
      expect(consumer.firsts.get(String(order))).toEqual(
        Array.from({ length: VERSIONS }, (_, v) => v + 1),
      );
    }
    const [left] = (await producer.query('SELECT count(*)::int AS n FROM transition_outbox')) as {
      n: number;
    }[];
    expect(left.n).toBe(0);
  }, 120_000);
});
