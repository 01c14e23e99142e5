import request from 'supertest';
import { generatedClient } from '../support/prisma-client.js';
import { demoFleet } from '../support/demo-fleet.js';
import { tierDatabases } from '../support/databases.js';
import { freshPlace } from '../support/places.js';
import { rawSql } from '../support/raw-sql.js';
import { commitProxy } from '../support/tcp-proxy.js';

/**
 * A commit whose acknowledgement is lost, on every ORM and every database server: the demo
 * talks to its database through a proxy that lets the PAY's commit reach the server and drops
 * the answer (or drops the commit itself, or also cuts the database off). The API answers the
 * truth, found on a fresh connection: the payment it made (200), "not applied" (503, and a
 * retry pays once), or, when it cannot ask in time, "outcome unknown" (503), never "nothing
 * was changed" for a payment that was made. Each order ends with exactly one PAY.
 */
const ORMS = ['typeorm', 'prisma', 'drizzle', 'mikro-orm'] as const;
const PROVIDERS = { postgres: 'postgresql', mysql: 'mysql' } as const;
const CASES = ORMS.flatMap((orm) =>
  tierDatabases('postgres', 'mysql').map((kind) => [orm, kind] as const),
);
const demoOf = demoFleet(CASES, async ([orm, kind]) => {
  if (orm === 'prisma') generatedClient(PROVIDERS[kind]);
  const place = await freshPlace(kind, `tg_doubt_${orm.replace('-', '_')}`);
  const proxy = await commitProxy(place.where, 'orders');
  return {
    place,
    env: { DATABASE_URL: proxy.url, ORM: orm, LOG_LEVEL: 'warn' },
    extra: { proxy },
    close: () => proxy.close(),
  };
});

describe.each(CASES)('a commit whose answer is lost, ORM=%s on %s', (orm, kind) => {
  const setup = () => demoOf(orm, kind);
  const http = () => request(setup().demo.url);

  /** A new order, on connections opened after the proxy cut every earlier one. */
  async function freshOrder(): Promise<string> {
    setup().proxy.cutAll();
    for (let attempt = 0; ; attempt++) {
      const res = await http().post('/orders').send({ total: 100 });
      if (res.status === 201) return String(res.body.id);
      // A pool may hand out one connection the cut broke: the store answers 503 for it.
      expect(res.status).toBe(503);
      if (attempt === 5) throw new Error(`no order after 6 tries: ${JSON.stringify(res.body)}`);
    }
  }
  /** The PAY; a request that gets no answer at all fails naming what the demo said last. */
  const pay = async (id: string) => {
    try {
      return await http()
        .post(`/orders/${id}/pay`)
        .set('X-User-Id', 'ann')
        .send({ amount: 100 })
        .timeout(10_000);
    } catch (err) {
      const { exitCode, signalCode } = setup().demo.child;
      throw new Error(
        `no answer to the PAY (${String(err)}); the demo ${exitCode === null && signalCode === null ? 'still runs' : `exited (${String(exitCode ?? signalCode)})`}; it said:\n${setup().log.join('').slice(-3000)}`,
        { cause: err },
      );
    }
  };
  /** The proxy struck within 5 s, else the failure names the demo's last log lines. */
  async function hasStruck(struck: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const missed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new Error(
            `the proxy saw no commit; it saw:\n${setup().proxy.trace.join('\n')}\nthe demo said:\n${setup().log.join('').slice(-3000)}`,
          ),
        );
      }, 5000);
    });
    await Promise.race([struck, missed]).finally(() => clearTimeout(timer));
  }
  beforeEach(() => {
    setup().log.length = 0;
  });
  /** The answer, with the demo's log lines when it is not the expected one. */
  const answer = (res: request.Response) => ({
    status: res.status,
    body: res.body as unknown,
    log: setup().log.join('').slice(-2000),
  });
  async function payEvents(id: string): Promise<string[]> {
    const db = rawSql(kind, setup().place.where);
    try {
      const rows = await db.query<{ event: string }>(
        `SELECT ${db.q('event')} FROM ${db.q('transition_log')} WHERE ${db.q('resourceId')} = ${db.p(1)}`,
        [id],
      );
      return rows.map((r) => r.event);
    } finally {
      await db.end();
    }
  }

  it('answers the payment it made when the commit was applied', async () => {
    const id = await freshOrder();
    const struck = setup().proxy.arm('drop-ack');
    const res = await pay(id);
    await hasStruck(struck);
    expect(answer(res)).toMatchObject({
      status: 200,
      body: { id: Number(id), state: 'paid', version: 1 },
    });
    expect(await payEvents(id)).toEqual(['PAY']);
  }, 30_000);

  it('answers 503 not-applied when the commit never arrived, and a retry pays once', async () => {
    const id = await freshOrder();
    const struck = setup().proxy.arm('drop-commit');
    const res = await pay(id);
    await hasStruck(struck);
    expect(answer(res)).toMatchObject({
      status: 503,
      body: { code: 'STORE_UNAVAILABLE', outcome: 'not-applied' },
    });
    expect(res.body.message).toMatch(/nothing was changed/);
    expect(await payEvents(id)).toEqual([]);
    expect((await pay(id)).status).toBe(200);
    expect(await payEvents(id)).toEqual(['PAY']);
  }, 30_000);

  it('answers 503 outcome unknown, never "nothing was changed", when it cannot ask', async () => {
    const id = await freshOrder();
    const struck = setup().proxy.arm('drop-ack-and-refuse', 4500);
    const res = await pay(id);
    await hasStruck(struck);
    expect(answer(res)).toMatchObject({
      status: 503,
      body: { code: 'STORE_UNAVAILABLE', outcome: 'unknown' },
    });
    expect(res.body.message).toMatch(/unknown.*Idempotency-Key/);
    expect(res.body.message).not.toMatch(/nothing was changed/);
    // The payment was made: reading the order first, as told, shows it.
    expect(await payEvents(id)).toEqual(['PAY']);
    await new Promise((r) => setTimeout(r, 2000)); // the database reachable again
    for (let attempt = 0; ; attempt++) {
      const order = await http().get(`/orders/${id}`);
      if (order.status === 200) {
        expect(order.body).toMatchObject({ state: 'paid', version: 1 });
        break;
      }
      expect(order.status).toBe(503);
      if (attempt === 5) throw new Error('the order was not readable after the outage');
    }
  }, 30_000);
});
