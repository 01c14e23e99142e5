/**
 * The race through GraphQL: many concurrent mutations on one row, sent over real HTTP to Apollo
 * at once, on every database of the tier. Exactly one winner per version: the cancels of one order
 * have one winner, and concurrent partial payments each take a version of their own (losers of a
 * compare-and-set are re-checked and retried or refused, never lost or doubled).
 */
import { DATABASE_NAMES, tierDatabases } from '../support/databases.js';
import { freshPlace, type Place } from '../support/places.js';
import { startDemo, type Demo } from '../e2e/demo-harness.js';

const CONCURRENT = 24;

describe.each(tierDatabases('sqlite', 'postgres', 'mysql'))('GraphQL race on %s', (kind) => {
  let place: Place;
  let demo: Demo;
  beforeAll(async () => {
    place = await freshPlace(kind, `tg_graphql_race_${kind}`);
    demo = await startDemo('express', {
      ...(kind === 'sqlite' ? {} : { [kind]: place.where }),
      graphql: 'apollo',
    });
  }, 120_000);
  afterAll(async () => {
    await demo?.close();
    await place?.drop();
  });

  type Answer = { ok: { state: string; version: number; paid: number } } | { error: string };
  const mutate = (field: string, id: string, input: Record<string, unknown>): Promise<Answer> =>
    demo
      .http()
      .post('/graphql')
      .send({
        query: `mutation($id: ID!, $input: JSON) { ${field}(id: $id, input: $input) { state version paid } }`,
        variables: { id, input },
      })
      .then((res) => {
        expect(res.status).toBe(200);
        const body = res.body as {
          data: Record<string, { state: string; version: number; paid: number } | null>;
          errors?: { extensions: { code: string } }[];
        };
        if (body.errors) return { error: body.errors[0].extensions.code };
        const ok = body.data[field];
        if (!ok) throw new Error(`no data and no error: ${JSON.stringify(body)}`);
        return { ok };
      });

  it(`${DATABASE_NAMES[kind]}: ${CONCURRENT} concurrent cancels of one order, one winner`, async () => {
    const { id } = (await demo.http().post('/orders').send({ total: 100 }).expect(201)).body;
    const answers = await Promise.all(
      Array.from({ length: CONCURRENT }, () => mutate('cancelOrder', String(id), {})),
    );
    const won = answers.filter((a) => 'ok' in a);
    expect(won).toHaveLength(1);
    // The losers saw the order cancelled: a refusal (final state) or a lost race, never a 5xx.
    for (const a of answers.filter((x) => 'error' in x)) {
      expect(['TRANSITION_REFUSED', 'STALE_STATE']).toContain((a as { error: string }).error);
    }
    const row = (await demo.http().get(`/orders/${id}`).expect(200)).body;
    expect(row).toMatchObject({ state: 'cancelled', version: 1 });
  });

  it(`${DATABASE_NAMES[kind]}: ${CONCURRENT} concurrent partial payments, one per version`, async () => {
    const total = CONCURRENT * 1000;
    const { id } = (await demo.http().post('/orders').send({ total }).expect(201)).body;
    const answers = await Promise.all(
      Array.from({ length: CONCURRENT }, () => mutate('payOrder', String(id), { amount: 10 })),
    );
    const won = answers.flatMap((a) => ('ok' in a ? [a.ok] : []));
    const refused = answers.filter((a) => 'error' in a);
    // Losers exhaust their retries only as STALE_STATE; every winner took its own version.
    for (const r of refused) expect(r).toEqual({ error: 'STALE_STATE' });
    const versions = won.map((w) => w.version).sort((a, b) => a - b);
    expect(new Set(versions).size).toBe(won.length);
    const row = (await demo.http().get(`/orders/${id}`).expect(200)).body;
    expect(row).toMatchObject({ state: 'pending', version: won.length, paid: won.length * 10 });
    expect(Math.max(...versions)).toBe(won.length);
  });
});
