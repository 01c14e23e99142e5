import request from 'supertest';
import { generatedClient } from '../support/prisma-client.js';
import { startDemoProcess, stopDemoProcess, type DemoProcess } from '../support/processes.js';
import { databases, DATABASE_NAMES } from '../support/databases.js';
import { freshPlace, type Place } from '../support/places.js';

/**
 * The demo with its order stores on each other ORM (`ORM=prisma|drizzle|mikro-orm npm start`),
 * on each database of the tier (SQLite, PostgreSQL, MariaDB): an order paid with an Idempotency-Key (and the retry replayed),
 * shipped, refused a cancel with the full 409 body, notified once per committed PAY and SHIP
 * through that ORM's outbox, its history read back; with a 2 s payment window (PAYMENT_WINDOW)
 * armed and fired through that ORM's timer store. (TypeORM, the default, runs every other demo
 * suite; the PostgreSQL race runs the demo on TypeORM and Prisma.)
 */
const WINDOW_S = 2;
const ORMS = ['prisma', 'drizzle', 'mikro-orm'] as const;
const PROVIDERS = { sqlite: 'sqlite', postgres: 'postgresql', mysql: 'mysql' } as const;

describe.each(ORMS.flatMap((orm) => databases().map((db) => [orm, db] as const)))(
  'the demo with ORM=%s on %s',
  (orm, kind) => {
    let demo: DemoProcess;
    let place: Place;

    beforeAll(async () => {
      if (orm === 'prisma') generatedClient(PROVIDERS[kind]);
      place = await freshPlace(kind, `tg_demo_${orm.replace('-', '_')}`);
      const env: Record<string, string> =
        kind === 'sqlite' ? { SQLITE_FILE: place.where } : { DATABASE_URL: place.where };
      demo = await startDemoProcess({ ...env, ORM: orm, PAYMENT_WINDOW: String(WINDOW_S) });
      expect(DATABASE_NAMES[kind]).toBeDefined();
    }, 120_000);
    afterAll(async () => {
      if (demo) await stopDemoProcess(demo);
      await place?.drop();
    });

    it('pays once, ships, refuses a cancel, notifies once per transition and keeps the history', async () => {
      const http = () => request(demo.url);
      const created = await http().post('/orders').send({ total: 100 }).expect(201);
      const id = String(created.body.id);
      const pay = () =>
        http()
          .post(`/orders/${id}/pay`)
          .set('Idempotency-Key', `pay-${id}`)
          .set('X-User-Id', 'ann')
          .send({ amount: 100 });
      const paid = await pay().expect(200);
      expect(paid.body).toMatchObject({ state: 'paid', paid: 100, version: 1 });
      expect(paid.headers.etag).toBe('"v1"');
      const replay = await pay().expect(200);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(paid.body);
      const shipped = await http()
        .post(`/orders/${id}/ship`)
        .send({ carrier: 'UPS', trackingNumber: '1Z999' })
        .expect(200);
      expect(shipped.body).toMatchObject({ state: 'shipped', carrier: 'UPS', version: 2 });
      const refused = await http().post(`/orders/${id}/cancel`).send({}).expect(409);
      expect(refused.body).toMatchObject({
        code: 'ILLEGAL_TRANSITION',
        currentState: 'shipped',
        reason: 'no-transition',
        allowedEvents: ['DELIVER'],
      });
      // The relay polls every 200 ms: wait for both notifications (bounded).
      let notifications: { event: string; transitionId: string }[] = [];
      for (let i = 0; i < 50 && notifications.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        notifications = (await http().get(`/orders/${id}/notifications`).expect(200)).body;
      }
      const history = (await http().get(`/orders/${id}/history`).expect(200)).body as {
        entries: { event: string; transitionId: string; version: number }[];
      };
      expect(history.entries.map((e) => [e.event, e.version])).toEqual([
        ['SHIP', 2],
        ['PAY', 1],
      ]);
      expect(notifications.map((n) => n.event)).toEqual(['PAY', 'SHIP']);
      expect(notifications.map((n) => n.transitionId)).toEqual(
        [...history.entries].reverse().map((e) => e.transitionId),
      );
      await new Promise((r) => setTimeout(r, 400)); // another relay round: nothing more
      expect((await http().get(`/orders/${id}/notifications`).expect(200)).body).toHaveLength(2);
    }, 60_000);

    it("cancels an unpaid order when its payment window ends, through the ORM's timer store", async () => {
      const http = () => request(demo.url);
      const created = await http().post('/orders').send({ total: 100 }).expect(201);
      const id = String(created.body.id);
      const armed = (await http().get(`/orders/${id}`).expect(200)).body.timers;
      expect(armed).toEqual([
        { timer: 'xstate.after.PAYMENT_WINDOW.order.pending', dueAt: expect.any(String) },
      ]);
      // Due by the database's clock, about the window after the creation (this machine's clock).
      const dueIn = Date.parse(armed[0].dueAt) - Date.now();
      expect(dueIn).toBeGreaterThan(WINDOW_S * 1000 - 1500);
      expect(dueIn).toBeLessThanOrEqual(WINDOW_S * 1000 + 1000);
      let got = created.body;
      for (let i = 0; i < 100 && got.state === 'pending'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        got = (await http().get(`/orders/${id}`).expect(200)).body;
      }
      expect({ state: got.state, version: got.version, timers: got.timers }).toEqual({
        state: 'cancelled',
        version: 1,
        timers: [],
      });
      const history = (await http().get(`/orders/${id}/history`).expect(200)).body;
      expect(history.entries).toMatchObject([
        {
          event: 'xstate.after.PAYMENT_WINDOW.order.pending',
          to: 'cancelled',
          actor: 'system:timer',
        },
      ]);
      // The customer is told once, through that ORM's outbox (the relay polls every 200 ms).
      let notifications: { event: string; text: string }[] = [];
      for (let i = 0; i < 50 && notifications.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        notifications = (await http().get(`/orders/${id}/notifications`).expect(200)).body;
      }
      expect(notifications).toMatchObject([
        {
          event: 'xstate.after.PAYMENT_WINDOW.order.pending',
          text: 'Your order is cancelled: it was not paid within the payment window.',
        },
      ]);
    }, 60_000);
  },
);
