import { DataSource } from 'typeorm';
import { PLATFORMS, startDemo, type Demo } from '../e2e/demo-harness.js';

/**
 * 200 concurrent, conflicting transition requests (SHIP, CANCEL, REFUND) on one paid order, in one
 * process on SQLite: every request passes the guard's check against 'paid' or is refused there,
 * and compare-and-set lets exactly one write win. Figures are printed for the README.
 */
describe.each(PLATFORMS)('SQLite race on one order (%s)', (platform) => {
  let demo: Demo;
  beforeAll(async () => {
    // The handler calls a (stand-in) gateway for 25 ms between the check and the write, as a real
    // one calls a carrier or payment API: the window in which the other requests pass the check.
    demo = await startDemo(platform, { gatewayLatencyMs: 25 });
  });
  afterAll(async () => {
    await demo.close();
  });

  it('lets exactly one of 200 conflicting requests win', async () => {
    const { id } = (await demo.http().post('/orders').send({ total: 500 }).expect(201)).body;
    await demo.http().post(`/orders/${id}/pay`).send({ amount: 500 }).expect(200);
    const requests = Array.from({ length: 200 }, (_, i) => {
      const kind = i % 3;
      const req = demo.http().post(`/orders/${id}/${['ship', 'cancel', 'refund'][kind]}`);
      return (
        kind === 0 ? req.send({ carrier: 'UPS', trackingNumber: `1Z${i}` }) : req.send({})
      ).then((r) => r);
    });
    const responses = await Promise.all(requests);
    const wins = responses.filter((r) => r.status === 200);
    const conflicts = responses.filter((r) => r.status === 409);
    const stale = conflicts.filter((r) => r.body.reason === 'stale-state');
    const statuses = responses.reduce<Record<number, number>>(
      (acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }),
      {},
    );
    expect(statuses).toEqual({ 200: 1, 409: 199 });
    const winner = wins[0].body.transition;
    const db = demo.app.get(DataSource);
    const log = await db.query(
      `SELECT event, from_state, to_state, version FROM transition_log WHERE "resourceId" = ? ORDER BY id`,
      [String(id)],
    );
    expect(log.map((l: { event: string }) => l.event)).toEqual(['PAY', winner.event]);
    const row = (await demo.http().get(`/orders/${id}`).expect(200)).body;
    expect(row).toMatchObject({ state: winner.to, version: 2 });
    // Every 409 names the state the order was really in: 'paid' (lost at the commit) or the winner's.
    for (const c of conflicts) expect(['paid', winner.to]).toContain(c.body.currentState);
    // The race was real: requests passed the check and lost at the compare-and-set.
    expect(stale.length).toBeGreaterThan(0);
    console.log(
      `sqlite race (${platform}): 200 requests, 1 winner (${winner.event}), ${conflicts.length} x 409 ` +
        `(${stale.length} stale-state at commit, ${conflicts.length - stale.length} refused by the guard), lost updates: 0`,
    );
  });
});
