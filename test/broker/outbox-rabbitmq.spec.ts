/**
 * The outbox publishes to RabbitMQ (Debian's `rabbitmq-server`, started here), and a consumer
 * killed after its write, before its acknowledgement, gets the message again and takes effect
 * once. The demo publishes its order events with OUTBOX_TRANSPORT=amqp://... to a durable queue;
 * the consumer is a Nest microservice in a process of its own (test/broker/apps/rmq-consumer.ts)
 * that acknowledges by hand after `TransitionInbox.receiveIn` committed its effect in its own
 * PostgreSQL database. Its first run kills itself (SIGKILL) right after its 15th effect; RabbitMQ
 * hands the unacknowledged message to the restarted consumer, which skips it as already done.
 * Then the demo is cut off from RabbitMQ by a TCP proxy: it keeps answering, the first message
 * is retried, the later ones wait behind it, and all arrive in order once the broker is back.
 */
import { DataSource } from 'typeorm';
import { TransitionOutbox } from '../../src/index.js';
import { startRabbitMq, type BrokerServer } from '../support/broker-servers.js';
import { outageProxy, type Outage } from '../support/tcp-proxy.js';
import { freshDatabase } from '../support/pg-database.js';
import { root, startDemoProcess, stopDemoProcess, type DemoProcess } from '../support/processes.js';
import { createTables, outboxLibraryTables } from '../support/store-tables.js';
import { startDemo, type Demo } from '../e2e/demo-harness.js';

const ORDERS = 10;

describe('the outbox publishes order events to RabbitMQ', () => {
  let server: BrokerServer;
  let network: Outage;
  let consumerDb: { url: string; stop: () => Promise<void> };
  let db: DataSource;
  let demo: Demo;
  const consumers: DemoProcess[] = [];

  beforeAll(async () => {
    server = await startRabbitMq();
    consumerDb = await freshDatabase('rabbitmq_consumer');
    await createTables('postgres', consumerDb.url, (d) => [
      ...outboxLibraryTables(d),
      'CREATE TABLE receipts (id serial PRIMARY KEY, message_id varchar(36) NOT NULL, redelivered boolean NOT NULL)',
      'CREATE TABLE effects (id serial PRIMARY KEY, message_id varchar(36) NOT NULL, order_id varchar(20) NOT NULL, version integer NOT NULL)',
    ]);
    db = await new DataSource({ type: 'postgres', url: consumerDb.url }).initialize();
    // The demo reaches RabbitMQ through a proxy that can take it off the network.
    network = await outageProxy(server.host, server.port);
    demo = await startDemo('express', {
      outboxTransport: `amqp://guest:guest@127.0.0.1:${network.port}`,
      outbox: { pollIntervalMs: 50, baseMs: 50, leaseSeconds: 3 },
      graphql: false,
    });
  }, 90_000);

  afterAll(async () => {
    await Promise.all(consumers.map(stopDemoProcess));
    await demo?.close();
    await network?.close();
    await db?.destroy();
    await consumerDb?.stop();
    await server?.stop();
  });

  const count = async (sql: string) => ((await db.query(sql)) as { n: number }[])[0].n;

  it('takes each message once, though the consumer died after its write, before its ack', async () => {
    const env = {
      DATABASE_URL: consumerDb.url,
      BROKER_URL: `amqp://guest:guest@${server.host}:${server.port}`,
    };
    const consumer = ['--import', 'tsx', 'test/broker/apps/rmq-consumer.ts'];
    const first = await startDemoProcess(
      { ...env, CRASH_AFTER_WRITE: '15' },
      consumer,
      root,
      /consumer ready/,
    );
    consumers.push(first);
    const died = new Promise<NodeJS.Signals | null>((resolve) =>
      first.child.once('exit', (_code, signal) => resolve(signal)),
    );
    // Each order: two payments and the shipment, 30 messages in all.
    const ids: string[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const id = String(
        (await demo.http().post('/orders').send({ total: 200 }).expect(201)).body.id,
      );
      ids.push(id);
      await demo.http().post(`/orders/${id}/pay`).send({ amount: 100 }).expect(200);
      await demo.http().post(`/orders/${id}/pay`).send({ amount: 100 }).expect(200);
      await demo
        .http()
        .post(`/orders/${id}/ship`)
        .send({ carrier: 'UPS', trackingNumber: `1Z${i}` })
        .expect(200);
    }
    expect(await died).toBe('SIGKILL');
    expect(await count('SELECT count(*)::int AS n FROM effects')).toBe(15);
    consumers.push(await startDemoProcess(env, consumer, root, /consumer ready/));
    const deadline = Date.now() + 30_000;
    while (
      (await count('SELECT count(*)::int AS n FROM effects')) < ORDERS * 3 &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const effects = (await db.query(
      'SELECT message_id, order_id, version FROM effects ORDER BY id',
    )) as {
      message_id: string;
      order_id: string;
      version: number;
    }[];
    expect(effects).toHaveLength(ORDERS * 3);
    expect(new Set(effects.map((e) => e.message_id)).size).toBe(ORDERS * 3);
    // Each order's effects in commit order, none missing.
    for (const id of ids) {
      expect(effects.filter((e) => e.order_id === id).map((e) => e.version)).toEqual([1, 2, 3]);
    }
    // The message whose write committed when the consumer died came again, flagged as
    // redelivered by the broker, and the inbox skipped it.
    const receipts = (await db.query(
      'SELECT message_id, redelivered FROM receipts ORDER BY id',
    )) as {
      message_id: string;
      redelivered: boolean;
    }[];
    const fifteenth = effects[14].message_id;
    expect(receipts.filter((r) => r.message_id === fifteenth).map((r) => r.redelivered)).toEqual([
      false,
      true,
    ]);
    expect(receipts.length).toBeGreaterThan(ORDERS * 3);
    // Nothing left in the demo's outbox.
    expect(await demo.app.get(TransitionOutbox).pending()).toEqual([]);
  }, 120_000);

  it('keeps answering while RabbitMQ is unreachable; the messages wait, then arrive in order', async () => {
    // The restarted consumer of the test above still runs.
    const outbox = demo.app.get(TransitionOutbox);
    const id = String((await demo.http().post('/orders').send({ total: 300 }).expect(201)).body.id);
    network.down();
    for (let i = 0; i < 3; i++) {
      await demo.http().post(`/orders/${id}/pay`).send({ amount: 100 }).expect(200);
    }
    // The first message fails and is retried with backoff; the later two wait behind it.
    const waiting = async () =>
      (await outbox.pending())
        .filter((m) => m.handler === 'publish:ORDER_EVENTS:order' && m.record.resourceId === id)
        .map((m) => [m.record.version, m.attempts]);
    const deadline = Date.now() + 15_000;
    while (
      !(await waiting()).some(([, attempts]) => (attempts ?? 0) > 0) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const [first, ...later] = await waiting();
    expect(first[0]).toBe(1);
    expect(first[1]).toBeGreaterThan(0);
    expect(later).toEqual([
      [2, 0],
      [3, 0],
    ]);
    const mine = async () =>
      (
        (await db.query('SELECT version FROM effects WHERE order_id = $1 ORDER BY id', [id])) as {
          version: number;
        }[]
      ).map((e) => e.version);
    expect(await mine()).toEqual([]);
    network.up();
    const back = Date.now() + 30_000;
    while ((await mine()).length < 3 && Date.now() < back) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await mine()).toEqual([1, 2, 3]);
  }, 60_000);
});
