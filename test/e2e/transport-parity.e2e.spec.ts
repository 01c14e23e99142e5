/**
 * One pipeline, five transports: the same scenarios (legal, illegal, stale, forbidden role, bad
 * payload, unknown resource, replay) sent to the demo over HTTP on Express and on Fastify, over
 * GraphQL on Apollo (Express) and Mercurius (Fastify), and as TCP messages
 * (`@nestjs/microservices`) give the same decision and the same refusal body.
 */
import type { INestMicroservice } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import type { AddressInfo, Server } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { startDemo, type Demo } from './demo-harness.js';

type Headers = Record<string, string>;
/** What a transport answered: the order after a success, or the refusal's body. */
type Outcome =
  { ok: true; state: string; version: number } | { ok: false; body: Record<string, unknown> };
type Send = (
  id: string,
  event: string,
  payload: Record<string, unknown>,
  headers: Headers,
) => Promise<Outcome>;

type OrderEvent = 'PAY' | 'SHIP' | 'DELIVER' | 'CANCEL' | 'REFUND';

function overHttp(demo: Demo): Send {
  return async (id, event, payload, headers) => {
    const res = await demo
      .http()
      .post(`/orders/${id}/${event.toLowerCase()}`)
      .set(headers)
      .send(payload);
    return res.status === 200
      ? { ok: true, state: res.body.state, version: res.body.version }
      : { ok: false, body: res.body };
  };
}

function overGraphql(demo: Demo): Send {
  return async (id, event, payload, headers) => {
    const { 'idempotency-key': key, ...rest } = headers;
    const field = `${event.toLowerCase()}Order`;
    const res = await demo
      .http()
      .post('/graphql')
      .set(rest)
      .send({
        query: `mutation($id: ID!, $input: JSON, $key: String) {
          ${field}(id: $id, input: $input, idempotencyKey: $key) { state version }
        }`,
        variables: { id, input: payload, key: key ?? null },
      });
    expect(res.status).toBe(200);
    const error = res.body.errors?.[0];
    if (error) return { ok: false, body: error.extensions.body };
    return { ok: true, ...res.body.data[field] };
  };
}

function overTcp(client: ClientProxy): Send {
  return async (id, event, payload, headers) => {
    try {
      const pattern = `order.${event.toLowerCase()}`;
      const answer = await firstValueFrom(client.send(pattern, { id, ...payload, headers }));
      return { ok: true, state: answer.state, version: answer.version };
    } catch (body) {
      return { ok: false, body: body as Record<string, unknown> };
    }
  };
}

describe('one check pipeline over HTTP, GraphQL and TCP messages', () => {
  let express: Demo;
  let fastify: Demo;
  let client: ClientProxy;
  const transports: [string, Send][] = [];

  beforeAll(async () => {
    [express, fastify] = await Promise.all([
      startDemo('express', { messages: true }),
      startDemo('fastify', { graphql: 'mercurius' }),
    ]);
    const server = (express.app.getMicroservices()[0] as INestMicroservice).unwrap<Server>();
    const { port } = server.address() as AddressInfo;
    client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
    });
    await client.connect();
    transports.push(
      ['HTTP on Express', overHttp(express)],
      ['HTTP on Fastify', overHttp(fastify)],
      ['GraphQL on Apollo', overGraphql(express)],
      ['GraphQL on Mercurius', overGraphql(fastify)],
      ['TCP messages', overTcp(client)],
    );
  });
  afterAll(async () => {
    await client?.close();
    await Promise.all([express?.close(), fastify?.close()]);
  });

  /** A fresh order of `total` on the demo that transport `i` talks to, moved through `path`. */
  async function orderFor(i: number, path: readonly OrderEvent[] = [], total = 500) {
    const demo = i === 1 || i === 3 ? fastify : express;
    const { id } = (await demo.http().post('/orders').send({ total }).expect(201)).body;
    const payloads: Record<OrderEvent, object> = {
      PAY: { amount: total },
      SHIP: { carrier: 'UPS', trackingNumber: '1Z' },
      DELIVER: {},
      CANCEL: {},
      REFUND: {},
    };
    for (const event of path) {
      await demo
        .http()
        .post(`/orders/${id}/${event.toLowerCase()}`)
        .set('x-user-role', 'support')
        .send(payloads[event])
        .expect(200);
    }
    return String(id);
  }

  /** An outcome with the order's id replaced: ids differ between the runs, nothing else may. */
  const normalized = (outcome: Outcome, id: string) =>
    JSON.parse(
      JSON.stringify(outcome)
        .replaceAll(`order ${id}`, 'order <id>')
        .replaceAll(`"${id}"`, '"<id>"'),
    );

  const scenarios: {
    name: string;
    path?: readonly OrderEvent[];
    id?: string;
    event: OrderEvent;
    payload: Record<string, unknown>;
    headers?: Headers;
    expected: { ok: boolean; statusCode?: number; code?: string };
  }[] = [
    { name: 'legal', event: 'PAY', payload: { amount: 500 }, expected: { ok: true } },
    {
      name: 'illegal',
      event: 'SHIP',
      payload: { carrier: 'UPS', trackingNumber: '1Z' },
      expected: { ok: false, statusCode: 409, code: 'ILLEGAL_TRANSITION' },
    },
    {
      name: 'stale (a version that moved on)',
      event: 'PAY',
      payload: { amount: 500, expectedVersion: 7 },
      expected: { ok: false, statusCode: 409, code: 'ILLEGAL_TRANSITION' },
    },
    {
      name: 'forbidden role',
      path: ['PAY', 'SHIP', 'DELIVER'],
      event: 'REFUND',
      payload: {},
      headers: { 'x-user-role': 'customer' },
      expected: { ok: false, statusCode: 403, code: 'ROLE_REQUIRED' },
    },
    {
      name: 'bad payload',
      event: 'PAY',
      payload: { amount: -1 },
      expected: { ok: false, statusCode: 400, code: 'INVALID_PAYLOAD' },
    },
    {
      name: 'unknown resource',
      id: '987654',
      event: 'PAY',
      payload: { amount: 1 },
      expected: { ok: false, statusCode: 404, code: 'RESOURCE_NOT_FOUND' },
    },
  ];

  it.each(scenarios.map((s) => [s.name, s] as const))(
    '%s: the same decision and the same body on every transport',
    async (_name, scenario) => {
      const seen: unknown[] = [];
      for (const [i, [, send]] of transports.entries()) {
        const id = scenario.id ?? (await orderFor(i, scenario.path));
        const outcome = await send(id, scenario.event, scenario.payload, scenario.headers ?? {});
        expect(outcome.ok).toBe(scenario.expected.ok);
        if (!outcome.ok) {
          expect(outcome.body).toMatchObject({
            statusCode: scenario.expected.statusCode,
            code: scenario.expected.code,
          });
        }
        seen.push(normalized(outcome, id));
      }
      // Every transport's answer equals the first one's (HTTP on Express), field for field.
      for (const [i, outcome] of seen.entries()) {
        expect([transports[i][0], outcome]).toEqual([transports[i][0], seen[0]]);
      }
    },
  );

  it('replay: a repeated idempotency key gets the first answer, and the order moves once', async () => {
    const answers: unknown[] = [];
    for (const [i, [name, send]] of transports.entries()) {
      const id = await orderFor(i, [], 800);
      // Keys are per caller: the same key, a caller per transport.
      const headers = { 'x-user-id': `parity-${i}`, 'idempotency-key': 'pay-once' };
      const first = await send(id, 'PAY', { amount: 300 }, headers);
      const again = await send(id, 'PAY', { amount: 300 }, headers);
      expect([name, again]).toEqual([name, first]);
      expect(first).toEqual({ ok: true, state: 'pending', version: 1 });
      // The order was paid once: 300 of 800, version 1.
      const demo = i === 1 || i === 3 ? fastify : express;
      const row = (await demo.http().get(`/orders/${id}`).expect(200)).body;
      expect([name, row.paid, row.version]).toEqual([name, 300, 1]);
      // The same key for another payload is refused the same way everywhere.
      const reused = await send(id, 'PAY', { amount: 200 }, headers);
      answers.push(normalized(reused, id));
    }
    expect(answers[0]).toMatchObject({ ok: false, body: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    for (const answer of answers) expect(answer).toEqual(answers[0]);
  });
});
