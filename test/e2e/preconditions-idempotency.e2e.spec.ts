import { DataSource } from 'typeorm';
import { PLATFORMS, startDemo, type Demo } from './demo-harness.js';

/** A new order, paid in full: its version is 1. */
async function createPaidOrder(demo: Demo): Promise<number> {
  const { id } = (await demo.http().post('/orders').send({ total: 10 }).expect(201)).body;
  await demo.http().post(`/orders/${id}/pay`).send({ amount: 10 }).expect(200);
  return id as number;
}

describe.each(PLATFORMS)('ETag / If-Match on %s', (platform) => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemo(platform);
  });
  afterAll(async () => {
    await demo.close();
  });
  const paidOrder = () => createPaidOrder(demo);

  it('sends an ETag derived from the version, on GET and on a transition', async () => {
    const id = await paidOrder();
    expect((await demo.http().get(`/orders/${id}`).expect(200)).headers.etag).toBe('"v1"');
    const shipped = await demo
      .http()
      .post(`/orders/${id}/ship`)
      .set('If-Match', '"v1"')
      .send({ carrier: 'UPS', trackingNumber: '1Z' })
      .expect(200);
    expect(shipped.headers.etag).toBe('"v2"');
  });

  it('answers 412 with the current ETag and state when If-Match is stale, and changes nothing', async () => {
    const id = await paidOrder();
    const res = await demo
      .http()
      .post(`/orders/${id}/cancel`)
      .set('If-Match', '"v0", W/"v1"')
      .send({})
      .expect(412);
    expect(res.headers.etag).toBe('"v1"');
    expect(res.body).toEqual({
      statusCode: 412,
      error: 'Precondition Failed',
      code: 'PRECONDITION_FAILED',
      message: `order ${id} is no longer at the version If-Match names (now "v1"); refetch and retry`,
      resource: 'order',
      id: String(id),
      currentState: 'paid',
      etag: '"v1"',
    });
    expect((await demo.http().get(`/orders/${id}`)).body).toMatchObject({
      state: 'paid',
      version: 1,
    });
  });

  it('accepts If-Match: * for any existing resource and refuses a malformed one with 400', async () => {
    const id = await paidOrder();
    await demo.http().post(`/orders/${id}/cancel`).set('If-Match', 'v1').send({}).expect(400);
    await demo.http().post(`/orders/${id}/cancel`).set('If-Match', '*').send({}).expect(200);
    await demo.http().post('/orders/99999/cancel').set('If-Match', '*').send({}).expect(404);
  });

  it('answers 409 version-mismatch for a stale expectedVersion in the body, and accepts a current one', async () => {
    const id = await paidOrder();
    const res = await demo
      .http()
      .post(`/orders/${id}/cancel`)
      .send({ expectedVersion: 0 })
      .expect(409);
    expect(res.body).toMatchObject({
      reason: 'version-mismatch',
      currentState: 'paid',
      allowedEvents: ['CANCEL', 'SHIP', 'REFUND'],
    });
    await demo.http().post(`/orders/${id}/cancel`).send({ expectedVersion: 1 }).expect(200);
  });
});

describe.each(PLATFORMS)('Idempotency-Key on %s', (platform) => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemo(platform, { gatewayLatencyMs: 30 });
  });
  afterAll(async () => {
    await demo.close();
  });
  const paidOrder = () => createPaidOrder(demo);
  const ship = (id: number, key: string, body: object = { carrier: 'UPS', trackingNumber: '1Z' }) =>
    demo.http().post(`/orders/${id}/ship`).set('Idempotency-Key', key).send(body);

  it('replays the first response to a retry, even though the state moved on', async () => {
    const id = await paidOrder();
    const first = await ship(id, `ship-${id}-${platform}`).expect(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await ship(id, `ship-${id}-${platform}`).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(again.headers.etag).toBe(first.headers.etag);
    // Without the key, the same request is a 409: the order is shipped already.
    await demo
      .http()
      .post(`/orders/${id}/ship`)
      .send({ carrier: 'UPS', trackingNumber: '1Z' })
      .expect(409);
    const log = await demo.app
      .get(DataSource)
      .query(`SELECT event FROM transition_log WHERE "resourceId" = '${id}' ORDER BY id`);
    expect(log.map((l: { event: string }) => l.event)).toEqual(['PAY', 'SHIP']);
  });

  it('answers 422 to the same key with a different request', async () => {
    const id = await paidOrder();
    await ship(id, `k-${id}-${platform}`).expect(200);
    const res = await ship(id, `k-${id}-${platform}`, {
      carrier: 'DHL',
      trackingNumber: '1Z',
    }).expect(422);
    expect(res.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('answers 409 request-in-progress to a repeat while the first still runs', async () => {
    const id = await paidOrder();
    const key = `slow-${id}-${platform}`;
    const [a, b] = await Promise.all([
      ship(id, key),
      new Promise((r) => setTimeout(r, 10)).then(() => ship(id, key)),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 409]);
    expect([a, b].find((r) => r.status === 409)!.body).toMatchObject({
      code: 'REQUEST_IN_PROGRESS',
      reason: 'request-in-progress',
    });
  });

  it.each([
    ['', 'empty'],
    ['x'.repeat(300), 'too long'],
    ['no spaces allowed', 'wrong characters'],
  ])('refuses a malformed key (%#: %s) with 400 and changes nothing', async (key) => {
    const id = await paidOrder();
    const res = await ship(id, key).expect(400);
    expect(res.body.code).toBe('INVALID_IDEMPOTENCY_KEY');
    expect((await demo.http().get(`/orders/${id}`)).body.state).toBe('paid');
  });

  it('does not store a 5xx: the retry runs again', async () => {
    const id = await paidOrder();
    const db = demo.app.get(DataSource);
    const key = `five-${id}-${platform}`;
    // The commit fails after the key was taken (its log table is gone): a 500, rolled back.
    await db.query(`ALTER TABLE transition_log RENAME TO transition_log_away`);
    try {
      expect((await ship(id, key)).status).toBe(500);
      expect((await demo.http().get(`/orders/${id}`)).body.state).toBe('paid');
    } finally {
      await db.query(`ALTER TABLE transition_log_away RENAME TO transition_log`);
    }
    const retried = await ship(id, key).expect(200);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(retried.body).toMatchObject({ state: 'shipped' });
  });
});
