import request from 'supertest';
import { generatedClient } from '../support/prisma-client.js';
import { demoFleet } from '../support/demo-fleet.js';
import { tierDatabases } from '../support/databases.js';
import { freshPlace } from '../support/places.js';
import { rawSql, type RawSql } from '../support/raw-sql.js';

/**
 * The driver faults of a PostgreSQL database, ORM by ORM, on the demo: a row locked by another
 * session (requests queue for it and for the pool), the database turned read-only (as after a
 * failover to a standby), `lock_timeout` and `statement_timeout` firing, and every backend
 * terminated (`pg_terminate_backend`, as when the settings change). Each fault is answered 503
 * with Retry-After or served, never 500; the process never dies; once the fault is gone the
 * same process serves again; every order's version equals its log rows.
 *
 * PostgreSQL only: its settings are per database, so the suite cannot disturb others running on
 * the same server. MySQL's equivalents (read_only, innodb_lock_wait_timeout) are global to the
 * server; their errors are classified by the same code (test/unit/store/write-outcome.spec.ts).
 */
const ORMS = ['typeorm', 'prisma', 'drizzle', 'mikro-orm'] as const;
const CASES = tierDatabases('postgres').length ? ORMS : [];
const demoOf = demoFleet(
  CASES.map((orm) => [orm] as const),
  async ([orm]) => {
    if (orm === 'prisma') generatedClient('postgresql');
    const place = await freshPlace('postgres', `tg_faults_${orm.replace('-', '_')}`);
    return { place, env: { DATABASE_URL: place.where, ORM: orm, LOG_LEVEL: 'warn' } };
  },
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(CASES)('driver faults on PostgreSQL, ORM=%s', (orm) => {
  const setup = () => demoOf(orm);
  const http = () => request(setup().demo.url);
  const statuses: number[] = [];
  let db: RawSql;
  let database: string;
  beforeAll(() => {
    db = rawSql('postgres', setup().place.where);
    database = new URL(setup().place.where).pathname.slice(1);
  });
  afterAll(async () => {
    await db.end();
  });
  afterEach(() => {
    // Never a 500, whatever the fault; and the process is alive.
    expect({
      fives: statuses.filter((s) => s === 500).length,
      log: setup().log.join('').slice(-1500),
    }).toMatchObject({ fives: 0 });
    expect(setup().demo.child.exitCode).toBeNull();
    statuses.length = 0;
  });

  const seen = async (req: request.Test): Promise<request.Response> => {
    const res = await req.timeout(20_000);
    statuses.push(res.status);
    if (res.status === 503) expect(res.headers['retry-after']).toBe('1');
    return res;
  };
  const newOrder = async () => {
    for (let i = 0; i < 20; i++) {
      const res = await seen(http().post('/orders').send({ total: 100 }));
      if (res.status === 201) return String(res.body.id);
      await sleep(100);
    }
    throw new Error('no order created');
  };
  const pay = (id: string) =>
    seen(http().post(`/orders/${id}/pay`).set('X-User-Id', 'ann').send({ amount: 100 }));
  /** The database's settings for new sessions, and every current session of the demo ended. */
  async function settle(setting: string): Promise<void> {
    await db.query(`ALTER DATABASE "${database}" ${setting}`);
    await db.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
  }
  /** Holds the order's row locked from another session for `ms`. */
  async function holdLock(id: string, ms: number): Promise<void> {
    const other = rawSql('postgres', setup().place.where);
    try {
      await other.query(
        `BEGIN; SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0; SELECT 1 FROM orders WHERE id = ${Number(id)} FOR UPDATE; SELECT pg_sleep(${ms / 1000}); COMMIT`,
      );
    } finally {
      await other.end();
    }
  }
  /** The process serves again: a PAY on a new order succeeds within a few tries. */
  async function recovers(): Promise<void> {
    const id = await newOrder();
    for (let i = 0; i < 20; i++) {
      if ((await pay(id)).status === 200) return;
      await sleep(100);
    }
    throw new Error('the demo did not recover');
  }

  it('a row locked for 3 s: requests wait or get 503, never 500; one PAY wins', async () => {
    const locked = await newOrder();
    const others = [];
    for (let i = 0; i < 5; i++) others.push(await newOrder());
    const holding = holdLock(locked, 3000);
    await sleep(200);
    const answers = await Promise.all([
      ...Array.from({ length: 20 }, () => pay(locked)),
      ...others.map((id) => pay(id)),
      ...others.flatMap((id) => [
        seen(http().get(`/orders/${id}`)),
        seen(http().get(`/orders/${id}`)),
      ]),
    ]);
    await holding;
    const onLocked = answers.slice(0, 20).map((r) => r.status);
    expect(onLocked.filter((s) => s === 200).length).toBeLessThanOrEqual(1);
    expect(onLocked.every((s) => [200, 409, 503].includes(s))).toBe(true);
    await recovers();
  }, 60_000);

  it('read-only (a failover to a standby): writes 503, reads served, then recovery', async () => {
    const id = await newOrder();
    await settle('SET default_transaction_read_only = on');
    try {
      await sleep(300);
      const paid = await pay(id);
      expect(paid.status === 503 ? paid.body : paid.status).toMatchObject({
        code: 'STORE_UNAVAILABLE',
        outcome: 'not-applied',
      });
      expect((await seen(http().post('/orders').send({ total: 1 }))).status).toBe(503);
      let read = await seen(http().get(`/orders/${id}`));
      if (read.status === 503) read = await seen(http().get(`/orders/${id}`));
      expect(read.status).toBe(200);
    } finally {
      await settle('RESET default_transaction_read_only');
    }
    await recovers();
  }, 60_000);

  it.each([
    ['lock_timeout', '55P03'],
    ['statement_timeout', '57014'],
  ])(
    '%s firing on a locked row (%s): 503 not-applied at once, then recovery',
    async (setting) => {
      const id = await newOrder();
      await settle(`SET ${setting} = '300ms'`);
      try {
        await sleep(300);
        const holding = holdLock(id, 2500);
        await sleep(300);
        const t0 = Date.now();
        let paid = await pay(id);
        // The first request after the settings changed may meet a terminated session.
        if (paid.status === 503 && Date.now() - t0 < 250) paid = await pay(id);
        expect({ status: paid.status, body: paid.body as unknown }).toMatchObject({
          status: 503,
          body: { code: 'STORE_UNAVAILABLE', outcome: 'not-applied' },
        });
        expect(Date.now() - t0).toBeLessThan(2000);
        await holding;
      } finally {
        await settle(`RESET ${setting}`);
      }
      await recovers();
    },
    60_000,
  );

  it('keeps every order whole: its version equals its log rows', async () => {
    const rows = await db.query<{ id: number; version: number; logged: string }>(
      'SELECT o.id, o.version, (SELECT count(*) FROM transition_log l WHERE l."resourceId" = o.id::text) AS logged FROM orders o',
    );
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.filter((r) => Number(r.logged) !== r.version)).toEqual([]);
  });
});
