import { DataSource } from 'typeorm';
import {
  IllegalTransitionException,
  systemActor,
  TransitionOutbox,
  TransitionService,
} from '../../src/index.js';
import { TransitionOutboxEntry } from '../../src/store/typeorm/index.js';
import { order } from '../../examples/orders-api/src/orders/order.resource.js';
import { PLATFORMS, startDemo, type Demo } from './demo-harness.js';

/**
 * The demo's notifications through the transactional outbox, its history route and its audit
 * fields, on a SQLite file: one notification per committed PAY, SHIP and CANCEL, none for a
 * refusal, a rollback or a replay; retried when the handler fails; the history newest first.
 */
const json = { 'content-type': 'application/json' };

async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  let value = await read();
  for (let i = 0; i < 200 && !done(value); i++) {
    await new Promise((r) => setTimeout(r, 25));
    value = await read();
  }
  return value;
}

describe.each(PLATFORMS)('the outbox, history and audit on %s', (platform) => {
  let demo: Demo;
  beforeAll(async () => {
    // The notifier fails every delivery's first attempt; retries come 20 to 40 ms later.
    demo = await startDemo(platform, {
      outbox: { pollIntervalMs: 20, baseMs: 40 },
      notifierFaults: { failFirst: 1 },
    });
  });
  afterAll(async () => {
    await demo.close();
  });

  const create = async (total = 100) =>
    (await demo.http().post('/orders').set(json).send({ total }).expect(201)).body.id as number;
  const notifications = (id: number) =>
    demo
      .http()
      .get(`/orders/${id}/notifications`)
      .expect(200)
      .then((r) => r.body as { event: string; transitionId: string; text: string }[]);
  const pendingMessages = () =>
    demo.app.get(DataSource).getRepository(TransitionOutboxEntry).count();

  it('notifies once per committed PAY, SHIP and CANCEL, after a failed first attempt', async () => {
    const id = await create();
    await demo.http().post(`/orders/${id}/pay`).set(json).send({ amount: 40 }).expect(200);
    await demo.http().post(`/orders/${id}/pay`).set(json).send({ amount: 60 }).expect(200);
    await demo
      .http()
      .post(`/orders/${id}/ship`)
      .set(json)
      .send({ carrier: 'UPS', trackingNumber: '1Z' })
      .expect(200);
    await demo.http().post(`/orders/${id}/deliver`).expect(200); // no handler for DELIVER
    await demo.http().post(`/orders/${id}/cancel`).expect(409); // refused: nothing committed
    const sent = await eventually(
      () => notifications(id),
      (n) => n.length >= 3,
    );
    // Each notification is a committed transition of the log; in the log's order (deliveries
    // retried after a failure may arrive in another order).
    const history = (await demo.http().get(`/orders/${id}/history`).expect(200)).body as {
      entries: { transitionId: string; event: string; version: number }[];
    };
    const logged = new Map(history.entries.map((e) => [e.transitionId, e]));
    expect(sent.every((n) => logged.get(n.transitionId)?.event === n.event)).toBe(true);
    const version = (n: { transitionId: string }) => logged.get(n.transitionId)?.version ?? 0;
    expect([...sent].sort((x, y) => version(x) - version(y)).map((n) => [n.event, n.text])).toEqual(
      [
        ['PAY', 'We received your payment of 40.'],
        ['PAY', 'Your order is paid in full.'],
        ['SHIP', 'Your order is on its way: UPS 1Z.'],
      ],
    );
    await eventually(pendingMessages, (n) => n === 0);
    expect(await pendingMessages()).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(await notifications(id)).toHaveLength(3);
  });

  it('sends nothing again for an Idempotency-Key replay', async () => {
    const id = await create();
    const pay = () =>
      demo
        .http()
        .post(`/orders/${id}/pay`)
        .set({ ...json, 'Idempotency-Key': `k-${id}`, 'X-User-Id': 'ann' })
        .send({ amount: 100 })
        .expect(200);
    await pay();
    expect((await pay()).headers['idempotent-replayed']).toBe('true');
    await eventually(
      () => notifications(id),
      (n) => n.length >= 1,
    );
    await eventually(pendingMessages, (n) => n === 0);
    expect((await notifications(id)).map((n) => n.event)).toEqual(['PAY']);
  });

  it('sends nothing for a transition rolled back by a hook inside the commit', async () => {
    const id = await create();
    const off = demo.app.get(TransitionService).onTransition({
      resource: 'order',
      beforeCommit: (record) => {
        if (record.resourceId === String(id)) throw new Error('ledger refused the entry');
      },
    });
    try {
      await demo.http().post(`/orders/${id}/pay`).set(json).send({ amount: 100 }).expect(500);
    } finally {
      off();
    }
    expect((await demo.http().get(`/orders/${id}`).expect(200)).body.state).toBe('pending');
    await new Promise((r) => setTimeout(r, 150));
    expect(await notifications(id)).toEqual([]);
    expect((await demo.http().get(`/orders/${id}/history`).expect(200)).body.entries).toEqual([]);
  });

  it('logs who, why, a comment, metadata and the correlation id; reads the history newest first, by pages', async () => {
    const id = await create();
    await demo
      .http()
      .post(`/orders/${id}/pay`)
      .set({ ...json, 'X-User-Id': 'ann', 'X-Request-Id': 'req-42' })
      .send({ amount: 30, comment: 'first instalment', metadata: { channel: 'phone' } })
      .expect(200);
    await demo.http().post(`/orders/${id}/pay`).set(json).send({ amount: 70 }).expect(200);
    await demo
      .http()
      .post(`/orders/${id}/events`)
      .set({ ...json, 'X-User-Id': 'bob' })
      .send({ type: 'CANCEL', reason: 'customer asked' })
      .expect(200);
    const first = (await demo.http().get(`/orders/${id}/history?limit=2`).expect(200)).body as {
      entries: Record<string, unknown>[];
      next: string;
    };
    expect(first.entries.map((e) => [e.event, e.to, e.version])).toEqual([
      ['CANCEL', 'cancelled', 3],
      ['PAY', 'paid', 2],
    ]);
    expect(first.entries[0]).toMatchObject({ actor: 'bob', reason: 'customer asked' });
    const second = (
      await demo.http().get(`/orders/${id}/history?limit=2&before=${first.next}`).expect(200)
    ).body as { entries: Record<string, unknown>[]; next: string | null };
    expect(second.next).toBeNull();
    expect(second.entries).toHaveLength(1);
    expect(second.entries[0]).toMatchObject({
      event: 'PAY',
      from: 'pending',
      to: 'pending',
      actor: 'ann',
      comment: 'first instalment',
      metadata: { channel: 'phone' },
      correlationId: 'req-42',
      reason: null,
    });
    expect(second.entries[0].machineVersion).toMatch(/^[0-9a-f]{12}$/);
    expect(second.entries[0].transitionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 400 to bad audit fields and history queries, changing nothing', async () => {
    const id = await create();
    const bad = [
      { reason: 5 },
      { reason: 'r'.repeat(201) },
      { comment: 'c'.repeat(2001) },
      { comment: 'nul\u0000' },
      { metadata: [1, 2] },
      { metadata: 'text' },
      { metadata: { blob: 'x'.repeat(5000) } },
      { metadata: { a: { b: { c: { d: { e: { f: 1 } } } } } } },
    ];
    for (const fields of bad) {
      const res = await demo
        .http()
        .post(`/orders/${id}/pay`)
        .set(json)
        .send({ amount: 100, ...fields });
      expect([res.status, res.body.code]).toEqual([400, 'INVALID_AUDIT']);
    }
    expect((await demo.http().get(`/orders/${id}`).expect(200)).body).toMatchObject({
      state: 'pending',
      version: 0,
    });
    for (const query of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'before=0',
      'before=x',
      'before=-1',
    ]) {
      const res = await demo.http().get(`/orders/${id}/history?${query}`);
      expect([query, res.status, res.body.code]).toEqual([query, 400, 'INVALID_HISTORY_QUERY']);
    }
    await demo.http().get('/orders/999999/history').expect(404);
    await demo.http().get('/orders/abc/history').expect(400);
  });

  it('makes system transitions as a system actor, with the same refusals as a request', async () => {
    const id = await create();
    const transitions = demo.app.get(TransitionService);
    const committed = await transitions.send(order, String(id), 'CANCEL', {
      actor: systemActor('expiry'),
      audit: { reason: 'unpaid for 7 days' },
    });
    expect(committed).toMatchObject({ from: 'pending', to: 'cancelled', version: 1 });
    const [entry] = (await transitions.history('order', String(id))).entries;
    expect(entry).toMatchObject({ actor: 'system:expiry', reason: 'unpaid for 7 days' });
    const refused = await transitions.send(order, String(id), 'CANCEL').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(IllegalTransitionException);
    expect((refused as IllegalTransitionException).getResponse()).toMatchObject({
      reason: 'final-state',
      currentState: 'cancelled',
    });
    // Its notification goes through the outbox like any other.
    const sent = await eventually(
      () => notifications(id),
      (n) => n.length >= 1,
    );
    expect(sent.map((n) => n.text)).toEqual(['Your order is cancelled.']);
  });
});

describe('dead letters', () => {
  it('parks a message that keeps failing, with its error, visible through TransitionOutbox', async () => {
    const demo = await startDemo('express', {
      outbox: { pollIntervalMs: 20, baseMs: 10, maxAttempts: 2 },
      notifierFaults: { failFirst: 5 },
    });
    try {
      const id = (await demo.http().post('/orders').set(json).send({ total: 10 }).expect(201)).body
        .id as number;
      await demo.http().post(`/orders/${id}/pay`).set(json).send({ amount: 10 }).expect(200);
      const outbox = demo.app.get(TransitionOutbox);
      const dead = await eventually(
        () => outbox.deadLetters(),
        (d) => d.length > 0,
      );
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({
        handler: 'Notifier.notify',
        attempts: 2,
        lastError: 'Error: mail server unavailable (injected, attempt 2)',
        record: { resource: 'order', resourceId: String(id), event: 'PAY' },
      });
      expect(await outbox.redrive(dead[0].id)).toBe(true);
      expect(await outbox.deadLetters()).toEqual([]);
    } finally {
      await demo.close();
    }
  });
});
