/**
 * The outbox publishes to brokers (`outbox.publish`): the demo with OUTBOX_TRANSPORT on Redis and
 * NATS (Debian's `redis-server` and `nats-server`, started here), a consumer microservice with a
 * `TransitionInbox`. Each committed order transition reaches the consumer as a
 * `TransitionEnvelope`, in commit order; a refused one never; while the broker is unreachable the
 * app answers and the messages wait, then arrive in order; a redelivered message is handled once.
 * The demo reaches the broker through a TCP proxy that takes it off the network: a restarted
 * Redis or NATS server would drop what is published before its subscribers are back (their
 * pub/sub keeps nothing for absent subscribers), which is the broker's guarantee, not ours.
 */
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxyFactory,
  EventPattern,
  Payload,
  Transport,
  type ClientOptions,
  type ClientProxy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import {
  MemoryOutboxStore,
  TransitionInbox,
  TransitionOutbox,
  type TransitionEnvelope,
} from '../../src/index.js';
import { startNats, startRedis, type BrokerServer } from '../support/broker-servers.js';
import { outageProxy, type Outage } from '../support/tcp-proxy.js';
import { startDemo, type Demo } from '../e2e/demo-harness.js';

const brokers = [
  {
    name: 'Redis',
    start: startRedis,
    url: (host: string, port: number) => `redis://${host}:${port}`,
    options: (s: BrokerServer) => ({
      transport: Transport.REDIS,
      options: { host: s.host, port: s.port },
    }),
  },
  {
    name: 'NATS',
    start: startNats,
    url: (host: string, port: number) => `nats://${host}:${port}`,
    options: (s: BrokerServer) => ({
      transport: Transport.NATS,
      options: { servers: [`nats://${s.host}:${s.port}`] },
    }),
  },
];

/** What the consumer saw: every message as it came, and each effect its inbox let through. */
const seen = {
  messages: [] as TransitionEnvelope[],
  effects: new Map<string, number>(),
  flaky: 0,
};
let inbox = new TransitionInbox(new MemoryOutboxStore(), 'warehouse');

@Controller()
class Warehouse {
  @EventPattern('order.PAY')
  pay(@Payload() message: TransitionEnvelope) {
    return this.take(message);
  }

  @EventPattern('order.SHIP')
  ship(@Payload() message: TransitionEnvelope) {
    return this.take(message);
  }

  @EventPattern('order.CANCEL')
  cancel(@Payload() message: TransitionEnvelope) {
    return this.take(message);
  }

  /** Fails its work the first time: nothing is recorded, so the next delivery runs it again. */
  @EventPattern('test.flaky')
  async flaky(@Payload() message: TransitionEnvelope) {
    await this.take(message, () => {
      if (seen.flaky++ === 0) throw new Error('the warehouse database hiccuped');
    }).catch(() => undefined);
  }

  private async take(message: TransitionEnvelope, before?: () => void) {
    seen.messages.push(message);
    await inbox.receive(message, () => {
      before?.();
      seen.effects.set(message.id, (seen.effects.get(message.id) ?? 0) + 1);
      return Promise.resolve();
    });
  }
}

@Module({ controllers: [Warehouse] })
class WarehouseModule {}

async function until(what: string, done: () => boolean | Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(brokers)('the outbox publishes order events to $name', (broker) => {
  let server: BrokerServer;
  let network: Outage;
  let demo: Demo;
  let consumer: INestMicroservice;
  let client: ClientProxy;

  beforeAll(async () => {
    // Each broker's demo starts on a fresh database: its order ids start over.
    seen.messages = [];
    seen.effects.clear();
    inbox = new TransitionInbox(new MemoryOutboxStore(), 'warehouse');
    server = await broker.start();
    network = await outageProxy(server.host, server.port);
    demo = await startDemo('express', {
      outboxTransport: broker.url('127.0.0.1', network.port),
      outbox: { pollIntervalMs: 50, baseMs: 50 },
      graphql: false,
    });
    consumer = await NestFactory.createMicroservice<MicroserviceOptions>(WarehouseModule, {
      ...(broker.options(server) as MicroserviceOptions),
      logger: false,
    });
    await consumer.listen();
    client = ClientProxyFactory.create(broker.options(server) as ClientOptions);
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await consumer?.close();
    await demo?.close();
    await network?.close();
    await server?.stop();
  });

  const newOrder = async (total = 300) =>
    String((await demo.http().post('/orders').send({ total }).expect(201)).body.id);
  const of = (id: string) => seen.messages.filter((m) => m.subject === id);

  it('publishes each committed transition as an envelope, in commit order', async () => {
    const id = await newOrder();
    await demo.http().post(`/orders/${id}/pay`).send({ amount: 100 }).expect(200);
    await demo.http().post(`/orders/${id}/pay`).send({ amount: 200 }).expect(200);
    await demo
      .http()
      .post(`/orders/${id}/ship`)
      .send({ carrier: 'UPS', trackingNumber: '1Z' })
      .expect(200);
    await until('three messages', () => of(id).length === 3);
    const history = (await demo.http().get(`/orders/${id}/history`).expect(200)).body as {
      entries: { transitionId: string; event: string }[];
    };
    const messages = of(id);
    expect(messages.map((m) => m.version)).toEqual([1, 2, 3]);
    expect(messages.map((m) => m.id)).toEqual(history.entries.map((t) => t.transitionId).reverse());
    expect(messages[2]).toEqual({
      specversion: '1.0',
      id: messages[2].id,
      source: 'transition-guard/order',
      type: 'order.SHIP',
      subject: id,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
      datacontenttype: 'application/json',
      resource: 'order',
      resourceid: id,
      version: 3,
      event: 'SHIP',
      from: 'paid',
      to: 'shipped',
      data: { carrier: 'UPS', trackingNumber: '1Z' },
    });
    expect(messages[0]).toMatchObject({ from: 'pending', to: 'pending', data: { amount: 100 } });
  });

  it('publishes nothing for a refused transition', async () => {
    const refused = await newOrder();
    await demo.http().post(`/orders/${refused}/cancel`).send({}).expect(200);
    await demo
      .http()
      .post(`/orders/${refused}/ship`)
      .send({ carrier: 'UPS', trackingNumber: '1Z' })
      .expect(409);
    // A later transition of another order arrives: the refused one would have come before it.
    const later = await newOrder();
    await demo.http().post(`/orders/${later}/cancel`).send({}).expect(200);
    await until('the later message', () => of(later).length === 1);
    expect(of(refused).map((m) => m.event)).toEqual(['CANCEL']);
  });

  it('keeps answering while the broker is unreachable; the messages wait, then arrive in order', async () => {
    const id = await newOrder(500);
    const outbox = demo.app.get(TransitionOutbox);
    network.down();
    for (let i = 0; i < 4; i++) {
      await demo.http().post(`/orders/${id}/pay`).send({ amount: 100 }).expect(200);
    }
    // Tried and failed, not lost: pending with attempts, the later ones held behind the first.
    await until('a failed attempt', async () =>
      (await outbox.pending()).some((m) => m.record.resourceId === id && m.attempts > 0),
    );
    const waiting = (await outbox.pending()).filter(
      (m) => m.handler === 'publish:ORDER_EVENTS:order' && m.record.resourceId === id,
    );
    expect(waiting.map((m) => m.record.version)).toEqual([1, 2, 3, 4]);
    expect(waiting.slice(1).every((m) => m.attempts === 0)).toBe(true);
    expect(of(id)).toEqual([]);
    network.up();
    await demo.http().post(`/orders/${id}/pay`).send({ amount: 100 }).expect(200);
    await until('five messages once the broker is back', () => of(id).length >= 5, 30_000);
    const versions = of(id).map((m) => m.version);
    // At least once: a message may come twice (published, then its completion lost); its inbox
    // effect only once, and the order is kept.
    expect([...new Set(versions)]).toEqual([1, 2, 3, 4, 5]);
    expect(versions).toEqual([...versions].sort((a, b) => (a ?? 0) - (b ?? 0)));
    expect(of(id).every((m) => seen.effects.get(m.id) === 1)).toBe(true);
  });

  it('handles a redelivered message once, and a message whose work failed again', async () => {
    const id = await newOrder();
    await demo.http().post(`/orders/${id}/cancel`).send({}).expect(200);
    await until('the message', () => of(id).length === 1);
    const [message] = of(id);
    // The broker delivers it again (as after a lost acknowledgement): the effect stays one.
    await firstValueFrom(client.emit('order.CANCEL', message));
    await until('the redelivery', () => of(id).length === 2);
    expect(seen.effects.get(message.id)).toBe(1);
    // Its work fails the first time (its transaction rolls back with the inbox record): the
    // next delivery runs it, the one after is skipped.
    const flaky = { ...message, id: '00000000-0000-4000-8000-0000000f1a4e', type: 'test.flaky' };
    seen.flaky = 0;
    for (let i = 1; i <= 3; i++) {
      await firstValueFrom(client.emit('test.flaky', flaky));
      await until(`delivery ${i}`, () => seen.flaky >= Math.min(i, 2) && of(id).length === 2 + i);
    }
    expect(seen.flaky).toBe(2);
    expect(seen.effects.get(flaky.id)).toBe(1);
  });
});
