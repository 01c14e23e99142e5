import { verifyHttpContract } from '../../src/testing/index.js';
import { orderMachine } from '../../machines/order.machine.js';
import { PLATFORMS, startDemo } from './demo-harness.js';

/**
 * The demo's order API, driven along the shortest path to every state of the order machine and
 * asked every event there: each answer must be what the machine says (2xx, or 409 with its
 * reason). A model-based contract test, with nothing hand-listed but the events.
 */
describe.each(PLATFORMS)('the demo honours the order machine on %s', (platform) => {
  it('answers every event in every reachable state as the machine does', async () => {
    const demo = await startDemo(platform);
    try {
      const post = async (path: string, body: object) => {
        const res = await fetch(`${demo.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-user-role': 'support' },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as unknown };
      };
      const report = await verifyHttpContract({
        machine: orderMachine,
        context: { total: 100, paid: 0 },
        create: async () =>
          String(((await post('/orders', { total: 100 })).body as { id: number }).id),
        send: (id, event) => post(`/orders/${id}/events`, event),
        events: [
          { type: 'PAY', amount: 40 },
          { type: 'PAY', amount: 100 },
          { type: 'SHIP', carrier: 'UPS', trackingNumber: '1Z999' },
          { type: 'DELIVER' },
          { type: 'CANCEL' },
          { type: 'REFUND' },
        ],
      });
      expect(report.mismatches).toEqual([]);
      expect(report.states).toEqual(
        expect.arrayContaining([
          'pending',
          'paid',
          'shipped',
          'delivered',
          'cancelled',
          'refunded',
        ]),
      );
      expect(report.checked).toBe(report.states.length * 6);
    } finally {
      await demo.close();
    }
  });
});
