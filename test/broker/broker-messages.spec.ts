/**
 * The order messages over brokers: Redis and NATS (Debian's `redis-server` and `nats-server`,
 * started here), with the demo's handlers. A `@MessagePattern` refusal reaches the sender with
 * the same body as the HTTP 409; an `@EventPattern` refusal (nobody waits for an answer) is logged
 * with its body and the message consumed; a legal event commits.
 */
import {
  ClientProxyFactory,
  Transport,
  type ClientOptions,
  type ClientProxy,
} from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { captureLogs } from '../support/capture-logs.js';
import { startNats, startRedis, type BrokerServer } from '../support/broker-servers.js';
import { startDemo, type Demo } from '../e2e/demo-harness.js';

const brokers = [
  {
    name: 'Redis',
    start: startRedis,
    options: (s: BrokerServer) => ({
      transport: Transport.REDIS,
      options: { host: s.host, port: s.port },
    }),
  },
  {
    name: 'NATS',
    start: startNats,
    options: (s: BrokerServer) => ({
      transport: Transport.NATS,
      options: { servers: [`nats://${s.host}:${s.port}`] },
    }),
  },
];

describe.each(brokers)('order messages over $name', (broker) => {
  let server: BrokerServer;
  let demo: Demo;
  let client: ClientProxy;

  beforeAll(async () => {
    server = await broker.start();
    const options = broker.options(server);
    demo = await startDemo('express', { messages: true, broker: options });
    client = ClientProxyFactory.create(options as ClientOptions);
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await demo?.close();
    await server?.stop();
  });

  const newOrder = async (total = 300) =>
    String((await demo.http().post('/orders').send({ total }).expect(201)).body.id);
  const stateOf = async (id: string) =>
    (await demo.http().get(`/orders/${id}`).expect(200)).body as { state: string; version: number };

  it('commits a legal message and answers the order', async () => {
    const id = await newOrder();
    const answer = await firstValueFrom(client.send('order.pay', { id, amount: 300 }));
    expect(answer).toMatchObject({ id: Number(id), state: 'paid', version: 1 });
    expect(await stateOf(id)).toMatchObject({ state: 'paid', version: 1 });
  });

  it('answers a refused message with the same body as the HTTP 409, and changes nothing', async () => {
    const id = await newOrder();
    const payload = { carrier: 'UPS', trackingNumber: '1Z' };
    const overHttp = await demo.http().post(`/orders/${id}/ship`).send(payload).expect(409);
    const refused = await firstValueFrom(client.send('order.ship', { id, ...payload })).then(
      () => undefined,
      (body: unknown) => body,
    );
    expect(refused).toEqual(overHttp.body);
    expect(refused).toMatchObject({ code: 'ILLEGAL_TRANSITION', reason: 'no-transition' });
    expect(await stateOf(id)).toMatchObject({ state: 'pending', version: 0 });
  });

  it('logs a refused event with its body and consumes it; a legal event commits', async () => {
    const pending = await newOrder();
    const shipped = await newOrder();
    await demo.http().post(`/orders/${shipped}/pay`).send({ amount: 300 }).expect(200);
    await demo
      .http()
      .post(`/orders/${shipped}/ship`)
      .send({ carrier: 'UPS', trackingNumber: '1Z' })
      .expect(200);
    const logs = captureLogs();
    try {
      await firstValueFrom(client.emit('order.delivered', { id: pending }));
      await firstValueFrom(client.emit('order.delivered', { id: shipped }));
      const deadline = Date.now() + 10_000;
      while ((await stateOf(shipped)).state !== 'delivered' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await stateOf(shipped)).toMatchObject({ state: 'delivered', version: 3 });
      const refusal = logs.lines.find((l) => l.startsWith('warn Event refused'));
      expect(refusal).toContain('ILLEGAL_TRANSITION');
      expect(refusal).toContain(`"id":"${pending}"`);
      expect(await stateOf(pending)).toMatchObject({ state: 'pending', version: 0 });
    } finally {
      logs.restore();
    }
  });
});
