import type { INestApplication } from '@nestjs/common';
import { IDEMPOTENCY_STORE } from '../../src/store/idempotency-store.interface.js';
import { FlakyIdempotencyStore, InvoiceStore, invoiceModule } from './apps/invoice-app.js';
import { listen, PLATFORMS } from './module-harness.js';
import type request from 'supertest';

/**
 * Idempotency-Key on a small app of its own: what a retry gets after every kind of failure, and
 * that keys belong to callers. Nothing may run twice: `paid` counts what really executed.
 */
describe.each(PLATFORMS)('Idempotency-Key on %s', (platform) => {
  let app: INestApplication;
  let http: () => ReturnType<typeof request>;
  let rows: InvoiceStore;
  let keys: FlakyIdempotencyStore;
  let next = 0;

  const setUp = async (options: Parameters<typeof invoiceModule>[0] = {}) => {
    ({ app, http } = await listen(invoiceModule(options), platform));
    rows = app.get(InvoiceStore);
    keys = app.get<FlakyIdempotencyStore>(IDEMPOTENCY_STORE);
  };
  afterEach(async () => {
    await app.close();
  });

  /** A fresh open invoice of 100. */
  const open = () => {
    const id = String(++next);
    rows.insert(id, { state: 'open', context: { total: 100, paid: 0 } });
    return id;
  };
  const pay = (id: string, key: string, amount = 10, headers: Record<string, string> = {}) => {
    let r = http().post(`/invoices/${id}/pay`).set('Idempotency-Key', key).set('X-User-Id', 'ann');
    for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
    return r.send({ amount });
  };
  const paid = (id: string) => (rows.rows.get(id)?.context as { paid: number }).paid;

  it('replays the first response to a retry, marked, even after the state moved on', async () => {
    await setUp();
    const id = open();
    const first = await pay(id, 'a').expect(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(first.headers.etag).toBe('"v1"');
    await pay(id, 'b').expect(200); // the invoice moves on
    const again = await pay(id, 'a').expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(again.headers.etag).toBe('"v1"');
    expect(paid(id)).toBe(20);
  });

  it.each([
    [
      'a query parameter',
      (id: string) => ({
        path: `/invoices/pay?invoice=${id}`,
        headers: {} as Record<string, string>,
      }),
    ],
    [
      'a header',
      (id: string) => ({
        path: '/invoices/pay-by-header',
        headers: { 'x-invoice': id } as Record<string, string>,
      }),
    ],
  ])(
    'binds a key to the resource id when the route reads it from %s: 422 for another invoice',
    async (_where, route) => {
      await setUp();
      const [one, two] = [open(), open()];
      const send = (id: string) => {
        const { path, headers } = route(id);
        let r = http().post(path).set('Idempotency-Key', 'same-key').set('X-User-Id', 'ann');
        for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
        return r.send({ amount: 10 });
      };
      await send(one).expect(200);
      const other = await send(two).expect(422);
      expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(other.headers['idempotent-replayed']).toBeUndefined();
      expect([paid(one), paid(two)]).toEqual([10, 0]);
      // The same invoice again: the replay.
      expect((await send(one).expect(200)).headers['idempotent-replayed']).toBe('true');
      expect(paid(one)).toBe(10);
    },
  );

  it('never cuts a caller identity into another: a long one is a 400, two long ones never share keys', async () => {
    await setUp();
    const id = open();
    const prefix = 'u'.repeat(256);
    const res = await pay(id, 'long', 10, { 'x-user-id': `${prefix}-alice` }).expect(400);
    expect(res.body).toMatchObject({ code: 'INVALID_CALLER' });
    expect(res.body.message).toMatch(/Return a shorter id from getActor/);
    await pay(id, 'long', 10, { 'x-user-id': `${prefix}-bob` }).expect(400);
    expect(paid(id)).toBe(0);
    // At the limit, kept whole: two callers, two executions.
    await pay(id, 'k256', 10, { 'x-user-id': `${'a'.repeat(255)}1` }).expect(200);
    const second = await pay(id, 'k256', 10, { 'x-user-id': `${'a'.repeat(255)}2` }).expect(200);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(paid(id)).toBe(20);
  });

  it('answers 422 to the same key with another request, and 409 while the first still runs', async () => {
    await setUp();
    const id = open();
    await pay(id, 'k').expect(200);
    expect((await pay(id, 'k', 11).expect(422)).body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // supertest sends on then(): start the slow one now.
    const slow = pay(id, 'slow', 10, { 'x-delay-ms': '150' }).then((r) => r);
    await new Promise((r) => setTimeout(r, 50));
    const busy = await pay(id, 'slow', 10).expect(409);
    expect(busy.body).toMatchObject({ code: 'REQUEST_IN_PROGRESS', reason: 'request-in-progress' });
    expect((await slow).status).toBe(200);
    expect(paid(id)).toBe(20);
  });

  it('frees the key when the attempt failed before committing: the retry runs', async () => {
    await setUp();
    const id = open();
    await pay(id, 'k', 10, { 'x-fail': 'before' }).expect(500);
    expect(paid(id)).toBe(0);
    const retried = await pay(id, 'k').expect(200);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(paid(id)).toBe(10);
  });

  it('never runs twice once committed: a 5xx after the commit, then the retry replays the commit', async () => {
    await setUp();
    const id = open();
    await pay(id, 'k', 10, { 'x-fail': 'after' }).expect(500);
    expect(paid(id)).toBe(10);
    const retried = await pay(id, 'k').expect(200);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(retried.body).toEqual({
      transition: {
        resource: 'invoice',
        id,
        event: 'PAY',
        from: 'open',
        to: 'open',
        version: 1,
        attempts: 1,
      },
    });
    expect(paid(id)).toBe(10);
    expect(rows.log).toHaveLength(1);
  });

  it('replays the commit when storing the response failed', async () => {
    await setUp();
    const id = open();
    keys.failNext = { method: 'complete', count: 1 };
    await pay(id, 'k').expect(200);
    const retried = await pay(id, 'k').expect(200);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(retried.body.transition).toMatchObject({ event: 'PAY', version: 1 });
    expect(paid(id)).toBe(10);
  });

  it('answers 503 when the key store is down, and a key whose release failed frees itself after its lease', async () => {
    await setUp({ idempotency: { store: FlakyIdempotencyStore, leaseSeconds: 1 } });
    keys = app.get<FlakyIdempotencyStore>(IDEMPOTENCY_STORE);
    const id = open();
    keys.failNext = { method: 'get', count: 1 };
    const down = await pay(id, 'k').expect(503);
    expect(down.headers['retry-after']).toBe('1');
    expect(down.body.code).toBe('STORE_UNAVAILABLE');
    // The rows store fails mid-commit and the key cannot be released either.
    rows.failNext = { method: 'compareAndSet', count: 1, error: () => new Error('disk I/O error') };
    keys.failNext = { method: 'release', count: 1 };
    await pay(id, 'k').expect(500);
    await pay(id, 'k').expect(409); // still held, within its lease
    await new Promise((r) => setTimeout(r, 1100));
    await pay(id, 'k').expect(200); // the lease ended: the retry took the key over
    expect(paid(id)).toBe(10);
  });

  it('renews the lease while a slow handler runs: a retry meanwhile is 409, the payment runs once', async () => {
    await setUp({ idempotency: { store: FlakyIdempotencyStore, leaseSeconds: 1 } });
    keys = app.get<FlakyIdempotencyStore>(IDEMPOTENCY_STORE);
    const id = open();
    const slow = pay(id, 'k', 10, { 'x-delay-ms': '2500' }).then((r) => r);
    await new Promise((r) => setTimeout(r, 1600)); // past the first lease
    const busy = await pay(id, 'k').expect(409);
    expect(busy.body.code).toBe('REQUEST_IN_PROGRESS');
    expect((await slow).status).toBe(200);
    expect(paid(id)).toBe(10);
    expect((await pay(id, 'k').expect(200)).headers['idempotent-replayed']).toBe('true');
  });

  it('answers 409 IDEMPOTENCY_KEY_LOST to a handler whose lease lapsed and was taken over: it changes nothing', async () => {
    await setUp({ idempotency: { store: FlakyIdempotencyStore, leaseSeconds: 1 } });
    keys = app.get<FlakyIdempotencyStore>(IDEMPOTENCY_STORE);
    const id = open();
    keys.failNext = { method: 'renew', count: 100 }; // the key store cannot renew (down)
    const slow = pay(id, 'k', 10, { 'x-delay-ms': '1800' }).then((r) => r);
    await new Promise((r) => setTimeout(r, 1200)); // the lease ended unrenewed
    keys.failNext = undefined;
    const retry = await pay(id, 'k').expect(200); // takes the key over, pays
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    const lost = await slow;
    expect(lost.status).toBe(409);
    expect(lost.body).toMatchObject({
      code: 'IDEMPOTENCY_KEY_LOST',
      reason: 'idempotency-key-lost',
    });
    expect(lost.body.message).toContain('changed nothing');
    expect(paid(id)).toBe(10);
    expect(rows.log).toHaveLength(1);
  });

  it('purges expired keys on a schedule', async () => {
    await setUp({
      idempotency: { store: FlakyIdempotencyStore, ttlSeconds: 1, purge: { everySeconds: 1 } },
    });
    keys = app.get<FlakyIdempotencyStore>(IDEMPOTENCY_STORE);
    const id = open();
    for (const k of ['a', 'b', 'c']) await pay(id, k).expect(200);
    expect(keys.size).toBe(3);
    await new Promise((r) => setTimeout(r, 2300)); // expired after 1 s, purged within the next second
    expect(keys.size).toBe(0);
  });

  it('keeps keys per caller: another caller with the same key and body runs its own request', async () => {
    await setUp();
    const id = open();
    const ann = await pay(id, 'k').expect(200);
    const bob = await pay(id, 'k', 10, { 'x-user-id': 'bob' }).expect(200);
    expect(bob.headers['idempotent-replayed']).toBeUndefined();
    expect(bob.body.transition.version).toBe(2);
    expect(ann.body.transition.version).toBe(1);
    expect(paid(id)).toBe(20);
  });

  it('refuses a key without a caller identity, unless anonymous keys are shared on purpose', async () => {
    await setUp();
    const id = open();
    const res = await http()
      .post(`/invoices/${id}/pay`)
      .set('Idempotency-Key', 'k')
      .send({ amount: 10 })
      .expect(400);
    expect(res.body).toMatchObject({ code: 'IDEMPOTENCY_CALLER_REQUIRED' });
    expect(paid(id)).toBe(0);
  });

  it('with shared anonymous keys, asks a replay for the role the committed transition needed', async () => {
    await setUp({ idempotency: { store: FlakyIdempotencyStore, anonymousKeys: 'shared' } });
    const id = open();
    await http()
      .post(`/invoices/${id}/pay`)
      .set('Idempotency-Key', 'p')
      .send({ amount: 100 })
      .expect(200);
    const refund = () => http().post(`/invoices/${id}/refund`).set('Idempotency-Key', 'r').send({});
    await refund().set('X-User-Role', 'support').expect(200);
    const stranger = await refund().expect(403);
    expect(stranger.body).toMatchObject({ code: 'ROLE_REQUIRED', requiredRoles: ['support'] });
    expect(stranger.headers['idempotent-replayed']).toBeUndefined();
    const replay = await refund().set('X-User-Role', 'support').expect(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });
});
