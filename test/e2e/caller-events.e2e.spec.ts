/**
 * Answers per caller agree with reality: for every role x state x event of the demo's machines
 * (orders and articles), the `allowed` that `GET /<kind>/:id` answers THIS caller is true if and
 * only if sending that event as that caller succeeds; a refusal's status matches the reason given
 * (403 for `role-required`, 409 for the machine's reasons). The GraphQL field gives the same list.
 */
import { startDemo, type Demo } from './demo-harness.js';

interface Kind {
  name: 'orders' | 'articles';
  create: Record<string, unknown>;
  roles: (string | undefined)[];
  events: string[];
  /** The states, each as the events (with the role sending them) that lead there. */
  paths: Record<string, [event: string, role: string][]>;
  payloads: Record<string, Record<string, unknown>>;
}

const kinds: Kind[] = [
  {
    name: 'orders',
    create: { total: 500 },
    roles: [undefined, 'customer', 'support'],
    events: ['PAY', 'SHIP', 'DELIVER', 'CANCEL', 'REFUND'],
    paths: {
      pending: [],
      paid: [['PAY', 'support']],
      shipped: [
        ['PAY', 'support'],
        ['SHIP', 'support'],
      ],
      delivered: [
        ['PAY', 'support'],
        ['SHIP', 'support'],
        ['DELIVER', 'support'],
      ],
      cancelled: [['CANCEL', 'support']],
      refunded: [
        ['PAY', 'support'],
        ['REFUND', 'support'],
      ],
    },
    payloads: { PAY: { amount: 500 }, SHIP: { carrier: 'UPS', trackingNumber: '1Z' } },
  },
  {
    name: 'articles',
    create: { title: 'On state machines', text: 'Nine hundred words of careful prose' },
    roles: [undefined, 'author', 'editor'],
    events: [
      'SUBMIT',
      'WITHDRAW',
      'CLAIM',
      'REQUEST_CHANGES',
      'RESUBMIT',
      'APPROVE',
      'UNPUBLISH',
      'ARCHIVE',
    ],
    paths: {
      draft: [],
      awaiting_editor: [['SUBMIT', 'author']],
      in_review: [
        ['SUBMIT', 'author'],
        ['CLAIM', 'editor'],
      ],
      changes_requested: [
        ['SUBMIT', 'author'],
        ['CLAIM', 'editor'],
        ['REQUEST_CHANGES', 'editor'],
      ],
      published: [
        ['SUBMIT', 'author'],
        ['CLAIM', 'editor'],
        ['APPROVE', 'editor'],
      ],
      archived: [
        ['SUBMIT', 'author'],
        ['CLAIM', 'editor'],
        ['APPROVE', 'editor'],
        ['ARCHIVE', 'editor'],
      ],
    },
    payloads: { REQUEST_CHANGES: { comment: 'Shorter, please' } },
  },
];

describe('answers per caller agree with reality', () => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemo('express');
  });
  afterAll(async () => {
    await demo?.close();
  });

  const as = (role: string | undefined): Record<string, string> =>
    role ? { 'x-user-role': role } : {};

  describe.each(kinds)('$name', (kind) => {
    const cases = Object.keys(kind.paths).flatMap((state) =>
      kind.roles.map((role) => [state, role ?? '(no role)', role] as const),
    );

    it.each(cases)('in %s, as %s: allowed iff sending succeeds', async (state, _label, role) => {
      for (const event of kind.events) {
        const { id } = (await demo.http().post(`/${kind.name}`).send(kind.create).expect(201))
          .body as { id: number };
        for (const [step, by] of kind.paths[state]) {
          await demo
            .http()
            .post(`/${kind.name}/${id}/events`)
            .set(as(by))
            .send({ type: step, ...kind.payloads[step] })
            .expect(200);
        }
        const shown = (await demo.http().get(`/${kind.name}/${id}`).set(as(role)).expect(200))
          .body as { allowedEvents: { event: string; allowed: boolean; reason?: string }[] };
        const line = shown.allowedEvents.find((e) => e.event === event);
        const sent = await demo
          .http()
          .post(`/${kind.name}/${id}/events`)
          .set(as(role))
          .send({ type: event, ...kind.payloads[event] });
        const where = `${kind.name} in ${state}, ${event} as ${role ?? '(no role)'}`;
        expect([where, sent.status === 200]).toEqual([where, line?.allowed]);
        if (line && !line.allowed) {
          const status = line.reason === 'role-required' ? 403 : 409;
          expect([where, sent.status]).toEqual([where, status]);
        }
      }
    });
  });

  it('gives the same list on GraphQL as on GET /orders/:id, for the same caller', async () => {
    const { id } = (await demo.http().post('/orders').send({ total: 500 }).expect(201)).body as {
      id: number;
    };
    for (const step of ['PAY', 'SHIP', 'DELIVER']) {
      await demo
        .http()
        .post(`/orders/${id}/events`)
        .send({ type: step, ...kinds[0].payloads[step] })
        .expect(200);
    }
    for (const role of [undefined, 'support']) {
      const overHttp = (await demo.http().get(`/orders/${id}`).set(as(role)).expect(200)).body
        .allowedEvents as Record<string, unknown>[];
      const overGraphql = await demo
        .http()
        .post('/graphql')
        .set(as(role))
        .send({
          query: `{ order(id: "${id}") { allowedEvents { event allowed reason requiredRoles method href } } }`,
        })
        .expect(200);
      const fields = ['event', 'allowed', 'reason', 'requiredRoles', 'method', 'href'];
      const picked = overHttp.map((e) => Object.fromEntries(fields.map((f) => [f, e[f] ?? null])));
      expect(overGraphql.body.data.order.allowedEvents).toEqual(picked);
    }
    const refund = (role: string | undefined) =>
      demo
        .http()
        .get(`/orders/${id}`)
        .set(as(role))
        .then((r) =>
          (r.body.allowedEvents as { event: string }[]).find((e) => e.event === 'REFUND'),
        );
    expect(await refund(undefined)).toMatchObject({
      allowed: false,
      reason: 'role-required',
      requiredRoles: ['support'],
    });
    expect(await refund('support')).toMatchObject({ allowed: true, method: 'POST' });
  });
});
