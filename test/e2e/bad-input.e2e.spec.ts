import { DataSource } from 'typeorm';
import { PLATFORMS, startDemo, type Demo } from './demo-harness.js';

/**
 * Bad input gets a clear 4xx and changes nothing. Each case sends a hostile or malformed request
 * at an existing paid order, then checks the order is exactly as it was.
 */
describe.each(PLATFORMS)('bad input on %s', (platform) => {
  let demo: Demo;
  let id: number;
  let before: unknown;
  beforeAll(async () => {
    demo = await startDemo(platform);
    id = (await demo.http().post('/orders').send({ total: 100 }).expect(201)).body.id;
    await demo.http().post(`/orders/${id}/pay`).send({ amount: 100 }).expect(200);
    before = (await demo.http().get(`/orders/${id}`).expect(200)).body;
  });
  afterEach(async () => {
    expect((await demo.http().get(`/orders/${id}`).expect(200)).body).toEqual(before);
  });
  afterAll(async () => {
    await demo.close();
  });

  it.each([
    ['../', '..%2F'],
    ['a path', '..%2F..%2Fetc%2Fpasswd'],
    ['letters', 'abc'],
    ['very long', '9'.repeat(90)],
    ['a negative number', '-1'],
  ])('refuses a malformed id (%s) with 400 INVALID_RESOURCE_ID', async (_label, raw) => {
    const res = await demo.http().post(`/orders/${raw}/cancel`).send({});
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'INVALID_RESOURCE_ID', resource: 'order' });
  });

  it('refuses an id too long for the router or the pattern with a 4xx', async () => {
    const res = await demo
      .http()
      .post(`/orders/${'1'.repeat(5000)}/cancel`)
      .send({});
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('answers 404 naming the resource and id for an id that does not exist', async () => {
    const res = await demo.http().post('/orders/999999/cancel').send({}).expect(404);
    expect(res.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      code: 'RESOURCE_NOT_FOUND',
      message: 'order 999999 does not exist',
      resource: 'order',
      id: '999999',
    });
  });

  it.each([
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'TELEPORT',
    'xstate.done.state.order',
    '*',
  ])('refuses event type %p with 400 UNKNOWN_EVENT', async (type) => {
    const res = await demo
      .http()
      .post(`/orders/${id}/events`)
      .set('content-type', 'application/json')
      .send(`{"type": ${JSON.stringify(type)}}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: 'UNKNOWN_EVENT',
      events: ['PAY', 'CANCEL', 'SHIP', 'REFUND', 'DELIVER'],
    });
  });

  it.each([
    ['a number type', { type: 42 }],
    ['an object type', { type: { toString: 'SHIP' } }],
    ['an empty type', { type: '' }],
    ['no type', { carrier: 'UPS' }],
    ['an array body', [1, 2]],
  ])('refuses %s on the events route with 400 INVALID_EVENT', async (_label, body) => {
    const res = await demo.http().post(`/orders/${id}/events`).send(body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_EVENT');
  });

  it('refuses a body whose type contradicts the route', async () => {
    const res = await demo.http().post(`/orders/${id}/cancel`).send({ type: 'REFUND' }).expect(400);
    expect(res.body.code).toBe('INVALID_EVENT');
  });

  it.each([
    ['wrong-typed fields', { carrier: 42, trackingNumber: true }, ['carrier', 'trackingNumber']],
    ['a missing field', { carrier: 'UPS' }, ['trackingNumber']],
    ['an extra field', { carrier: 'UPS', trackingNumber: '1Z', priority: 'high' }, []],
  ])(
    'refuses a payload with %s with 400 INVALID_PAYLOAD and the zod issues',
    async (_label, body, paths) => {
      const res = await demo
        .http()
        .post(`/orders/${id}/ship`)
        .set('content-type', 'application/json')
        .send(JSON.stringify(body))
        .expect(400);
      expect(res.body).toMatchObject({ code: 'INVALID_PAYLOAD', event: 'SHIP', id: String(id) });
      expect(res.body.issues.length).toBeGreaterThan(0);
      for (const p of paths)
        expect(res.body.issues.map((i: { path: string[] }) => i.path.join('.'))).toContain(p);
    },
  );

  it('refuses a payload with a __proto__ key with 400 (Fastify refuses it while parsing)', async () => {
    const res = await demo
      .http()
      .post(`/orders/${id}/ship`)
      .set('content-type', 'application/json')
      .send('{"carrier":"UPS","trackingNumber":"1Z","__proto__":{"admin":true}}')
      .expect(400);
    if (platform === 'express')
      expect(res.body).toMatchObject({
        code: 'INVALID_PAYLOAD',
        issues: [{ code: 'unrecognized_keys' }],
      });
  });

  it('refuses malformed JSON with 400', async () => {
    const res = await demo
      .http()
      .post(`/orders/${id}/events`)
      .set('content-type', 'application/json')
      .send('{"type": "CANCEL",');
    expect(res.status).toBe(400);
  });

  it('refuses a non-JSON body with a 4xx', async () => {
    const res = await demo
      .http()
      .post(`/orders/${id}/events`)
      .set('content-type', 'text/plain')
      .send('type=CANCEL');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('refuses an oversized body with 413', async () => {
    const res = await demo
      .http()
      .post(`/orders/${id}/events`)
      .send({ type: 'CANCEL', reason: 'x'.repeat(200_000) });
    expect(res.status).toBe(413);
  });
});

describe.each(PLATFORMS)('server-side faults on %s', (platform) => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemo(platform);
  });
  afterAll(async () => {
    await demo.close();
  });

  it('answers 409 unknown-state for a stored state the machine does not have, and logs the cause', async () => {
    const db = demo.app.get(DataSource);
    await db.query(`INSERT INTO orders (status, total, paid, version) VALUES ('shiped', 0, 0, 1)`);
    const [{ id }] = await db.query(`SELECT max(id) AS id FROM orders`);
    const logged: string[] = [];
    const logger = {
      error: (m: string) => logged.push(m),
      log() {},
      warn() {},
      debug() {},
      verbose() {},
      fatal() {},
    };
    demo.app.useLogger(logger);
    const res = await demo.http().post(`/orders/${id}/deliver`).send({}).expect(409);
    expect(res.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      code: 'ILLEGAL_TRANSITION',
      message: `Cannot DELIVER order ${id}: it is in state 'shiped', which this version of the machine does not have; it cannot change until it is migrated.`,
      resource: 'order',
      id: String(id),
      currentState: 'shiped',
      event: 'DELIVER',
      reason: 'unknown-state',
      allowedEvents: [],
    });
    expect(logged.join('\n')).toMatch(
      /order \d+ has stored state 'shiped' which machine 'order' does not have \(valid: pending, paid, shipped/,
    );
    expect((await db.query(`SELECT status FROM orders WHERE id = ${id}`))[0].status).toBe('shiped');
  });
});

describe.each(PLATFORMS)('an unavailable database on %s', (platform) => {
  it('answers 503 with a clear body and changes nothing', async () => {
    const demo = await startDemo(platform);
    try {
      const { id } = (await demo.http().post('/orders').send({}).expect(201)).body;
      await demo.app.get(DataSource).destroy();
      const res = await demo.http().post(`/orders/${id}/cancel`).send({}).expect(503);
      expect(res.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'STORE_UNAVAILABLE',
        message: 'The order store is unavailable; nothing was changed. Retry later.',
        resource: 'order',
        outcome: 'not-applied',
      });
      await demo.app.get(DataSource).initialize();
      expect((await demo.http().get(`/orders/${id}`).expect(200)).body).toMatchObject({
        state: 'pending',
        version: 0,
      });
    } finally {
      await demo.close();
    }
  });
});
