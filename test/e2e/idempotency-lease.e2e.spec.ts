import request from 'supertest';
import { generatedClient } from '../support/prisma-client.js';
import { demoFleet } from '../support/demo-fleet.js';
import { databases } from '../support/databases.js';
import { freshPlace } from '../support/places.js';

/**
 * A handler slower than its Idempotency-Key's lease, on every ORM's idempotency store and every
 * database of the tier: the demo's payment gateway takes 4 s under a 2 s lease (2 s, not 1: a
 * renewal every 667 ms rides out the stalls of a loaded 2-core machine; with 1 s, a Prisma renewal
 * on PostgreSQL came late once in the full tier). The lease is
 * renewed while the handler runs, so a retry sent after the first lease would have ended gets
 * 409 REQUEST_IN_PROGRESS instead of running the payment a second time; the first request gets
 * its own answer, and a later retry replays it.
 */
const ORMS = ['typeorm', 'prisma', 'drizzle', 'mikro-orm'] as const;
const PROVIDERS = { sqlite: 'sqlite', postgres: 'postgresql', mysql: 'mysql' } as const;

const CASES = ORMS.flatMap((orm) => databases().map((db) => [orm, db] as const));
const demoOf = demoFleet(CASES, async ([orm, kind]) => {
  if (orm === 'prisma') generatedClient(PROVIDERS[kind]);
  const place = await freshPlace(kind, `tg_lease_${orm.replace('-', '_')}`);
  return {
    place,
    env: {
      ...(kind === 'sqlite' ? { SQLITE_FILE: place.where } : { DATABASE_URL: place.where }),
      ORM: orm,
      GATEWAY_LATENCY_MS: '4000',
      IDEMPOTENCY_LEASE_SECONDS: '2',
    },
  };
});

describe.each(CASES)('a handler slower than its lease, ORM=%s on %s', (orm, kind) => {
  it('keeps the key while the handler runs: the payment runs once', async () => {
    const { demo } = demoOf(orm, kind);
    const http = () => request(demo.url);
    const created = await http().post('/orders').send({ total: 100 }).expect(201);
    const id = String(created.body.id);
    const pay = () =>
      http()
        .post(`/orders/${id}/pay`)
        .set('Idempotency-Key', `slow-${id}`)
        .set('X-User-Id', 'ann')
        .send({ amount: 100 });
    const first = pay().then((r) => r);
    await new Promise((r) => setTimeout(r, 2600)); // the first lease (2 s) would have ended
    const retry = await pay();
    expect(retry.status).toBe(409);
    expect(retry.body).toMatchObject({ code: 'REQUEST_IN_PROGRESS' });
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ state: 'paid', version: 1 });
    const replay = await pay().expect(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(answered.body);
    const history = await http().get(`/orders/${id}/history`).expect(200);
    const entries = (history.body as { entries: { event: string }[] }).entries;
    expect(entries.map((e) => e.event)).toEqual(['PAY']);
  }, 30_000);
});
