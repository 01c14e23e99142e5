import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startDemoProcess, stopDemoProcess, type DemoProcess } from '../support/processes.js';

/**
 * `npm start`'s payment window, as the README says: 5 minutes unless PAYMENT_WINDOW says
 * otherwise, none with PAYMENT_WINDOW=0 (the window's firing: test/browser/payment-window and
 * test/e2e/demo-orms).
 */
describe('the demo as npm start runs it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-start-'));
  const started: DemoProcess[] = [];
  afterAll(async () => {
    await Promise.all(started.map(stopDemoProcess));
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async (name: string, window: string | undefined) => {
    const demo = await startDemoProcess({
      SQLITE_FILE: join(dir, `${name}.sqlite`),
      PAYMENT_WINDOW: window,
    });
    started.push(demo);
    return demo;
  };
  const newOrder = async (demo: DemoProcess) => {
    const created = await request(demo.url).post('/orders').send({ total: 100 }).expect(201);
    return (await request(demo.url).get(`/orders/${created.body.id}`).expect(200)).body;
  };

  it('gives a new order 5 minutes to be paid by default', async () => {
    const got = await newOrder(await start('default', undefined));
    expect(got.timers).toEqual([
      { timer: 'xstate.after.PAYMENT_WINDOW.order.pending', dueAt: expect.any(String) },
    ]);
    const dueIn = Date.parse(got.timers[0].dueAt) - Date.now();
    expect(dueIn).toBeGreaterThan(295_000);
    expect(dueIn).toBeLessThanOrEqual(301_000);
  }, 60_000);

  it('refuses to start with a PAYMENT_WINDOW that is not seconds, saying so', async () => {
    await expect(
      startDemoProcess({ SQLITE_FILE: join(dir, 'bad.sqlite'), PAYMENT_WINDOW: '5m' }),
    ).rejects.toThrow("PAYMENT_WINDOW must be a number of seconds (0 for no window), not '5m'");
  }, 60_000);

  it('takes the window in seconds from PAYMENT_WINDOW, and none with 0', async () => {
    const [thirty, none] = await Promise.all([start('thirty', '30'), start('none', '0')]);
    const got = await newOrder(thirty);
    const dueIn = Date.parse(got.timers[0].dueAt) - Date.now();
    expect(dueIn).toBeGreaterThan(25_000);
    expect(dueIn).toBeLessThanOrEqual(31_000);
    const without = await newOrder(none);
    expect(without.state).toBe('pending');
    expect(without).not.toHaveProperty('timers');
  }, 60_000);
});
