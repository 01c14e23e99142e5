import { gzipSync } from 'node:zlib';
import { freshDatabase } from '../support/pg-database.js';
import { runsOn } from '../support/databases.js';
import { freshMysqlDatabase } from '../support/places.js';
import { PLATFORMS, startDemo, type Demo } from './demo-harness.js';

/**
 * What an attacker sends, against the demo on Express and Fastify, on SQLite and PostgreSQL: every
 * case is a 4xx, the order is unchanged afterwards (GET it again), and nothing in the run is a 5xx.
 */
type Send = (demo: Demo, id: number) => Promise<{ status: number; body: unknown }>;

const post =
  (path: string, body: string, headers: Record<string, string> = {}): Send =>
  async (demo, id) => {
    const res = await fetch(`${demo.url}${path.replace(':id', String(id))}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-id': 'mallory', ...headers },
      body,
    });
    return { status: res.status, body: await res.text() };
  };
const raw =
  (path: string, init: RequestInit): Send =>
  async (demo, id) => {
    const res = await fetch(`${demo.url}${path.replace(':id', String(id))}`, init);
    return { status: res.status, body: await res.text() };
  };
const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

/** The status expected, or the statuses accepted (SQLite's keys are 64-bit; Fastify's router refuses long params with 414). */
type Expected = number | number[];

const CASES: [string, Send, Expected][] = [
  // Ids the columns cannot hold, or another spelling of a real id.
  ...[
    '2147483648',
    '999999999999999',
    '9223372036854775808',
    '-1',
    '1.5',
    '1e3',
    'abc',
    '%00',
    'x'.repeat(300),
  ].map((badId): [string, Send, Expected] => [
    `PAY on id ${badId.slice(0, 20)}`,
    post(`/orders/${badId}/pay`, '{"amount":1}'),
    // Within SQLite's 64-bit keys these are ids no order has: 404 there.
    ['2147483648', '999999999999999'].includes(badId)
      ? [400, 404]
      : badId.length > 100
        ? [400, 414]
        : 400,
  ]),
  [
    'a leading-zero spelling of the id',
    async (demo, id) => post(`/orders/000${id}/cancel`, '{}')(demo, id),
    400,
  ],
  ['GET on an id out of range', raw('/orders/2147483648', {}), [400, 404]],
  ['GET on a leading-zero id', async (demo, id) => raw(`/orders/0${id}`, {})(demo, id), 400],
  // Numbers and strings beyond the columns.
  ['PAY of 2^31', post('/orders/:id/pay', '{"amount":2147483648}'), 400],
  ['PAY of 0', post('/orders/:id/pay', '{"amount":0}'), 400],
  ['PAY of a string', post('/orders/:id/pay', '{"amount":"10"}'), 400],
  ['PAY of 1e308', post('/orders/:id/pay', '{"amount":1e308}'), 400],
  [
    'a NUL in a string field',
    post('/orders/:id/events', '{"type":"CANCEL","reason":"a\\u0000b"}'),
    400,
  ],
  ['an order of 2^31', post('/orders', '{"total":2147483648}'), 400],
  ['an order of -1', post('/orders', '{"total":-1}'), 400],
  ['an order of 1.5', post('/orders', '{"total":1.5}'), 400],
  ['an article titled with a NUL', post('/articles', '{"title":"a\\u0000"}'), 400],
  // Bodies that are not JSON objects, or not JSON.
  [
    'a form',
    raw('/orders/:id/events', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'type=CANCEL',
    }),
    415,
  ],
  [
    'JSON in UTF-7',
    raw('/orders/:id/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-7' },
      body: '{"type":"CANCEL"}',
    }),
    415,
  ],
  [
    'text/plain',
    raw('/orders/:id/cancel', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    }),
    415,
  ],
  [
    'no content type',
    raw('/orders/:id/cancel', { method: 'POST', body: new Uint8Array(Buffer.from('{}')) }),
    415,
  ],
  [
    'a gzip body',
    raw('/orders/:id/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: new Uint8Array(gzipSync('{"type":"CANCEL"}')),
    }),
    // Fastify's JSON parser may refuse the bytes first (400).
    [400, 415],
  ],
  ['a JSON null', post('/orders/:id/events', 'null'), 400],
  ['a JSON array', post('/orders/:id/events', '[{"type":"CANCEL"}]'), 400],
  ['a JSON string', post('/orders/:id/cancel', '"CANCEL"'), 400],
  ['malformed JSON', post('/orders/:id/cancel', '{"type":'), 400],
  // Deep and large.
  [
    'a body 3,000 levels deep with an Idempotency-Key',
    post('/orders/:id/events', deep(3000), { 'idempotency-key': 'deep-1' }),
    400,
  ],
  [
    'a body 3,000 levels deep',
    post('/orders/:id/events', `{"type":"CANCEL","x":${deep(3000)}}`),
    400,
  ],
  [
    'an event type of 100 KB',
    post('/orders/:id/events', JSON.stringify({ type: 'C'.repeat(60_000) })),
    400,
  ],
  [
    'a body over the limit',
    post('/orders/:id/events', JSON.stringify({ type: 'CANCEL', pad: 'x'.repeat(70_000) })),
    413,
  ],
  [
    '__proto__ in the payload',
    post('/orders/:id/events', '{"type":"CANCEL","__proto__":{"admin":true}}'),
    400,
  ],
  [
    'constructor in the payload',
    post('/orders/:id/events', '{"type":"CANCEL","constructor":{"prototype":{}}}'),
    400,
  ],
  // Headers.
  [
    'a malformed Idempotency-Key',
    post('/orders/:id/cancel', '{}', { 'idempotency-key': 'a b' }),
    400,
  ],
  [
    'an Idempotency-Key without a caller',
    post('/orders/:id/cancel', '{}', { 'idempotency-key': 'k', 'x-user-id': '' }),
    400,
  ],
  ['a malformed If-Match', post('/orders/:id/cancel', '{}', { 'if-match': 'v0' }), 400],
  ['a stale If-Match', post('/orders/:id/cancel', '{}', { 'if-match': '"v9"' }), 412],
  ['an event the route contradicts', post('/orders/:id/cancel', '{"type":"PAY"}'), 400],
];

/** Each database of the tier: its name, and how the demo reaches it (SQLite: a file of its own). */
async function backends(): Promise<[string, { postgres?: string; mysql?: string }][]> {
  const out: [string, { postgres?: string; mysql?: string }][] = [['SQLite', {}]];
  if (runsOn('postgres')) {
    const db = await freshDatabase('hostile_input');
    drops.push(db.stop);
    out.push(['PostgreSQL', { postgres: db.url }]);
  }
  if (runsOn('mysql')) {
    const db = await freshMysqlDatabase('hostile_input');
    drops.push(db.stop);
    out.push(['MariaDB', { mysql: db.url }]);
  }
  return out;
}
const drops: (() => Promise<void>)[] = [];

describe('hostile input', () => {
  const statuses: number[] = [];
  let configs: [string, { postgres?: string; mysql?: string }][] = [];
  beforeAll(async () => {
    configs = await backends();
  });
  afterAll(async () => {
    for (const drop of drops) await drop();
  });

  it.each(PLATFORMS)(
    'is refused with a 4xx on %s, on each database of the tier, and changes nothing',
    async (platform) => {
      for (const [database, where] of configs) {
        const demo = await startDemo(platform, where);
        try {
          const created = await demo.http().post('/orders').send({ total: 100 }).expect(201);
          const id = created.body.id as number;
          // A pending order: every PAY below reaches its payload check (order of checks).
          const before = (await demo.http().get(`/orders/${id}`).expect(200)).body;
          const orders = (await demo.http().get(`/orders/${id + 1}`)).status;
          for (const [name, send, expected] of CASES) {
            const res = await send(demo, id);
            statuses.push(res.status);
            const accepted = typeof expected === 'number' ? [expected] : expected;
            expect({ database, name, status: res.status, accepted }).toEqual({
              database,
              name,
              status: accepted.includes(res.status) ? res.status : accepted[0],
              accepted,
            });
            expect({
              database,
              name,
              order: (await demo.http().get(`/orders/${id}`)).body,
            }).toEqual({
              database,
              name,
              order: before,
            });
          }
          expect(orders).toBe(404); // no order was created by the refused ones
          expect((await demo.http().get(`/orders/${id + 1}`)).status).toBe(404);
        } finally {
          await demo.close();
        }
      }
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
    },
    120_000,
  );
});
