import { PLATFORMS, startDemo, type Demo } from './demo-harness.js';

describe.each(PLATFORMS)('RFC 9457 problem details on %s', (platform) => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemo(platform, { problemDetails: true });
  });
  afterAll(async () => {
    await demo.close();
  });

  it('answers a refused transition as application/problem+json', async () => {
    const { id } = (await demo.http().post('/orders').send({}).expect(201)).body;
    await demo.http().post(`/orders/${id}/cancel`).expect(200);
    const res = await demo
      .http()
      .post(`/orders/${id}/ship`)
      .send({ carrier: 'UPS', trackingNumber: '1Z' })
      .expect(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.text)).toEqual({
      type: 'urn:transition-guard:illegal-transition',
      title: 'Illegal transition',
      status: 409,
      detail: `Cannot SHIP order ${id}: it is cancelled`,
      instance: `/orders/${id}/ship`,
      code: 'ILLEGAL_TRANSITION',
      resource: 'order',
      id: String(id),
      currentState: 'cancelled',
      event: 'SHIP',
      reason: 'final-state',
      allowedEvents: [],
    });
  });

  it('answers 400 and 404 as problems too', async () => {
    const bad = await demo.http().post('/orders/abc/cancel').expect(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(bad.text)).toMatchObject({
      type: 'urn:transition-guard:invalid-resource-id',
      status: 400,
    });
    const missing = await demo.http().post('/orders/424242/cancel?x=1').expect(404);
    expect(JSON.parse(missing.text)).toMatchObject({
      title: 'Resource not found',
      instance: '/orders/424242/cancel',
    });
  });
});
