import { PLATFORMS, startDemo, type Demo } from './demo-harness.js';

describe.each(PLATFORMS)('orders API on %s', (platform) => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemo(platform);
  });
  afterAll(async () => {
    await demo.close();
  });

  const createOrder = async (total = 1000) =>
    (await demo.http().post('/orders').send({ total }).expect(201)).body;

  it('creates an order with defaults from an empty body', async () => {
    const res = await demo.http().post('/orders').expect(201);
    expect(res.body).toMatchObject({ state: 'pending', version: 0, total: 0, paid: 0 });
    expect(typeof res.body.id).toBe('number');
  });

  it('walks an order through its lifecycle', async () => {
    const { id } = await createOrder(1000);
    await demo
      .http()
      .post(`/orders/${id}/pay`)
      .send({ amount: 400 })
      .expect(200, {
        id,
        state: 'pending',
        version: 1,
        total: 1000,
        paid: 400,
        carrier: null,
        trackingNumber: null,
        transition: {
          resource: 'order',
          id: String(id),
          event: 'PAY',
          from: 'pending',
          to: 'pending',
          version: 1,
          attempts: 1,
        },
      });
    await demo.http().post(`/orders/${id}/pay`).send({ amount: 600 }).expect(200);
    const shipped = await demo
      .http()
      .post(`/orders/${id}/ship`)
      .send({ carrier: 'UPS', trackingNumber: '1Z999' })
      .expect(200);
    expect(shipped.body).toMatchObject({
      state: 'shipped',
      version: 3,
      carrier: 'UPS',
      trackingNumber: '1Z999',
    });
    await demo.http().post(`/orders/${id}/events`).send({ type: 'DELIVER' }).expect(200);
    const got = await demo.http().get(`/orders/${id}`).expect(200);
    expect(got.body).toMatchObject({ state: 'delivered', version: 4 });
    expect(got.body.allowedEvents).toContainEqual({
      event: 'DELIVER',
      allowed: false,
      reason: 'no-transition',
      method: 'POST',
      href: `/orders/${id}/deliver`,
    });
  });

  it('answers 409 with the reason when shipping a cancelled order, and changes nothing', async () => {
    const { id } = await createOrder();
    await demo.http().post(`/orders/${id}/cancel`).expect(200);
    const res = await demo
      .http()
      .post(`/orders/${id}/ship`)
      .send({ carrier: 'UPS', trackingNumber: '1Z' })
      .expect(409);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      code: 'ILLEGAL_TRANSITION',
      message: `Cannot SHIP order ${id}: it is cancelled`,
      resource: 'order',
      id: String(id),
      currentState: 'cancelled',
      event: 'SHIP',
      reason: 'final-state',
      allowedEvents: [],
    });
    expect((await demo.http().get(`/orders/${id}`)).body).toMatchObject({
      state: 'cancelled',
      version: 1,
    });
  });

  it('names the guard that refused', async () => {
    const { id } = await createOrder(1000);
    await demo.http().post(`/orders/${id}/pay`).send({ amount: 400 }).expect(200);
    // Still pending: SHIP has no transition from pending.
    const early = await demo
      .http()
      .post(`/orders/${id}/ship`)
      .send({ carrier: 'UPS', trackingNumber: '1Z' })
      .expect(409);
    expect(early.body).toMatchObject({
      reason: 'no-transition',
      currentState: 'pending',
      allowedEvents: ['PAY', 'CANCEL'],
    });
  });

  it('serves the machine as data and as a Mermaid or DOT diagram', async () => {
    const json = await demo.http().get('/machines/order').expect(200);
    expect(json.body).toMatchObject({
      id: 'order',
      initial: 'pending',
      events: ['PAY', 'CANCEL', 'SHIP', 'REFUND', 'DELIVER'],
    });
    expect(json.body.payloads.SHIP).toMatchObject({
      type: 'object',
      required: ['carrier', 'trackingNumber'],
    });
    const mermaid = await demo
      .http()
      .get('/machines/order?format=mermaid&highlight=paid')
      .expect(200);
    expect(mermaid.headers['content-type']).toMatch(/^text\/plain/);
    expect(mermaid.text).toMatch(/^stateDiagram-v2/);
    expect(mermaid.text).toContain('class paid highlight');
    expect((await demo.http().get('/machines/order?format=dot').expect(200)).text).toMatch(
      /^digraph "order"/,
    );
    await demo.http().get('/machines/order?format=png').expect(400);
    await demo.http().get('/machines/nope').expect(404);
  });
});
