import { TransitionService } from '../../src/index.js';
import { PLATFORMS, startDemo, type Demo } from './demo-harness.js';

/**
 * The demo's orders belong to who created them: another caller gets 404 for the order, its
 * history (actors, comments, metadata) and its notifications, as for an order that does not
 * exist, and does not see it in the list; `support` sees everything; an order created without
 * an identity is everyone's. And the history API's `visible` hook leaves out entries.
 */
describe.each(PLATFORMS)('who sees an order, on %s', (platform) => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemo(platform);
  });
  afterAll(async () => {
    await demo.close();
  });
  const as = (user: string | null, role?: string) => {
    const headers: Record<string, string> = {};
    if (user) headers['x-user-id'] = user;
    if (role) headers['x-user-role'] = role;
    return {
      get: (path: string) => demo.http().get(path).set(headers),
      post: (path: string, body: object) => demo.http().post(path).set(headers).send(body),
    };
  };

  it('shows an order, its history and notifications to its owner and support only', async () => {
    const id = String((await as('ann').post('/orders', { total: 100 }).expect(201)).body.id);
    await as('ann')
      .post(`/orders/${id}/pay`, { amount: 100, comment: 'card ending 4242' })
      .expect(200);
    for (const path of [`/orders/${id}`, `/orders/${id}/history`, `/orders/${id}/notifications`]) {
      const bob = await as('bob').get(path);
      expect({ path, status: bob.status, code: bob.body.code }).toEqual({
        path,
        status: 404,
        code: 'RESOURCE_NOT_FOUND',
      });
      expect(JSON.stringify(bob.body)).not.toContain('4242');
      expect((await as(null).get(path)).status).toBe(404);
      expect((await as('ann').get(path)).status).toBe(200);
      expect((await as('sue', 'support').get(path)).status).toBe(200);
    }
    const history = await as('ann').get(`/orders/${id}/history`).expect(200);
    expect(history.body.entries).toMatchObject([{ event: 'PAY', actor: 'ann' }]);
    const listed = (user: string | null, role?: string) =>
      as(user, role)
        .get('/orders')
        .then((r) => (r.body as { id: number }[]).map((o) => String(o.id)));
    expect(await listed('ann')).toContain(id);
    expect(await listed('bob')).not.toContain(id);
    expect(await listed('sue', 'support')).toContain(id);
  });

  it('keeps an order created without an identity visible to anyone', async () => {
    const id = String((await as(null).post('/orders', {}).expect(201)).body.id);
    await as('bob').get(`/orders/${id}/history`).expect(200);
    await as(null).get(`/orders/${id}`).expect(200);
  });

  it("leaves out the history entries the 'visible' hook refuses", async () => {
    const id = String((await as(null).post('/orders', { total: 100 }).expect(201)).body.id);
    await as('ann').post(`/orders/${id}/pay`, { amount: 40 }).expect(200);
    await as('bob').post(`/orders/${id}/pay`, { amount: 60 }).expect(200);
    const transitions = demo.app.get(TransitionService);
    const all = await transitions.history('order', id);
    expect(all.entries.map((e) => e.actor)).toEqual(['bob', 'ann']);
    const anns = await transitions.history('order', id, {}, { visible: (e) => e.actor === 'ann' });
    expect(anns.entries.map((e) => e.actor)).toEqual(['ann']);
    expect(anns.next).toBe(all.next);
  });
});
