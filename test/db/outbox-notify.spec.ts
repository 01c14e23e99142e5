/**
 * `outbox.notify`: PostgreSQL's LISTEN/NOTIFY wakes a relay in another app. Two demo apps on one
 * PostgreSQL database: the writer delivers nothing (`relay: false`) and notifies after its
 * commits; the relay app polls once a minute, so only a notification can make it deliver within
 * seconds. Its LISTEN connection is then killed (`pg_terminate_backend`): it connects again and
 * delivers what was committed meanwhile; so is the writer's NOTIFY connection: it opens another.
 */
import { DataSource } from 'typeorm';
import { TransitionOutbox } from '../../src/index.js';
import { startDemo, type Demo } from '../e2e/demo-harness.js';
import { freshDatabase } from '../support/pg-database.js';

describe('outbox.notify: LISTEN/NOTIFY between processes (PostgreSQL)', () => {
  let database: { url: string; stop: () => Promise<void> };
  let admin: DataSource;
  let writer: Demo;
  let relay: Demo;
  let relayClosed = false;

  beforeAll(async () => {
    database = await freshDatabase('outbox_notify');
    // The relay app first: it creates the tables, and its first round finds nothing.
    relay = await startDemo('fastify', {
      postgres: database.url,
      graphql: false,
      outbox: { pollIntervalMs: 60_000, baseMs: 50 },
    });
    writer = await startDemo('express', {
      postgres: database.url,
      graphql: false,
      outbox: { relay: false },
    });
    admin = await new DataSource({ type: 'postgres', url: database.url }).initialize();
  }, 60_000);

  afterAll(async () => {
    await writer?.close();
    if (!relayClosed) await relay?.close();
    await admin?.destroy();
    await database?.stop();
  });

  /** Pays an order on the writer; how long until the relay app sent its notification. */
  async function payAndTime(): Promise<number> {
    const id = String(
      (await writer.http().post('/orders').send({ total: 100 }).expect(201)).body.id,
    );
    const start = Date.now();
    await writer.http().post(`/orders/${id}/pay`).send({ amount: 100 }).expect(200);
    const sent = async () =>
      ((await writer.http().get(`/orders/${id}/notifications`).expect(200)).body as unknown[])
        .length;
    while ((await sent()) === 0) {
      if (Date.now() - start > 20_000) throw new Error('not delivered in 20 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    return Date.now() - start;
  }

  it('delivers a message committed by another app within a second, not at the next poll', async () => {
    for (let i = 0; i < 3; i++) expect(await payAndTime()).toBeLessThan(1000);
  });

  it('listens again after its connection is killed', async () => {
    const listening = async () =>
      (
        (await admin.query(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`,
        )) as { pid: number }[]
      ).map((r) => r.pid);
    const [before] = await listening();
    expect(before).toBeDefined();
    await admin.query('SELECT pg_terminate_backend($1)', [before]);
    // Committed while it reconnects: announced to nobody, delivered once it is back.
    expect(await payAndTime()).toBeLessThan(5000);
    const after = await listening();
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before);
    expect(await payAndTime()).toBeLessThan(1000);
  });

  it("notifies again after the writer's NOTIFY connection is killed", async () => {
    const [notifier] = (await admin.query(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_notify%'`,
    )) as { pid: number }[];
    expect(notifier).toBeDefined();
    await admin.query('SELECT pg_terminate_backend($1)', [notifier.pid]);
    await new Promise((r) => setTimeout(r, 300));
    // The relay still listens: only a notification delivers within the second.
    expect(await payAndTime()).toBeLessThan(1000);
  });

  it('has the writer deliver nothing itself: without the relay app, its messages wait', async () => {
    await relay.close();
    relayClosed = true;
    const id = String(
      (await writer.http().post('/orders').send({ total: 100 }).expect(201)).body.id,
    );
    await writer.http().post(`/orders/${id}/pay`).send({ amount: 100 }).expect(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await writer.http().get(`/orders/${id}/notifications`).expect(200)).body).toEqual([]);
    const waiting = (await writer.app.get(TransitionOutbox).pending()).filter(
      (m) => m.record.resourceId === id,
    );
    expect(waiting.map((m) => m.attempts)).toEqual([0]);
  });
});
