import { Controller, HttpCode, Inject, Injectable, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ExpressAdapter } from '@nestjs/platform-express';
import request from 'supertest';
import {
  CurrentTransition,
  defineResource,
  MemoryTransitionStore,
  OnTransition,
  Transition,
  TransitionService,
  type TransitionDelivery,
} from '../../src/index.js';
import {
  advanceTime,
  testingStoreToken,
  transitionTestingModule,
} from '../../src/testing/index.js';
import { setup } from 'xstate';
import { orderMachine, orderPayloads, type OrderContext } from '../../machines/order.machine.js';

/** The testing module: a guarded controller tested without a database, rows seeded per test. */
class UnusedStore extends MemoryTransitionStore<OrderContext & { carrier?: string }> {}
const order = defineResource({
  resource: 'order',
  machine: orderMachine,
  store: UnusedStore,
  payloads: orderPayloads,
});

@Controller('orders/:id')
class ShipController {
  constructor(@Inject(TransitionService) private readonly transitions: TransitionService) {}

  @Post('ship')
  @HttpCode(200)
  @Transition(order, 'SHIP')
  async ship(@CurrentTransition() t: CurrentTransition<typeof order, 'SHIP'>) {
    return this.transitions.commit(t, { carrier: t.payload.carrier });
  }
}

describe('transitionTestingModule', () => {
  it('serves a guarded controller from memory stores seeded in given states', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        transitionTestingModule({
          resources: [order],
          seed: {
            order: {
              '1': { state: 'paid', context: { total: 10, paid: 10 } },
              '2': { state: 'cancelled', context: { total: 10, paid: 10 } },
            },
          },
        }),
      ],
      controllers: [ShipController],
    }).compile();
    const app = moduleRef.createNestApplication(new ExpressAdapter(), { logger: false });
    await app.init();
    try {
      const body = { carrier: 'UPS', trackingNumber: '1Z' };
      const shipped = await request(app.getHttpServer())
        .post('/orders/1/ship')
        .send(body)
        .expect(200);
      expect(shipped.body).toMatchObject({ from: 'paid', to: 'shipped', version: 1 });
      const refused = await request(app.getHttpServer())
        .post('/orders/2/ship')
        .send(body)
        .expect(409);
      expect(refused.body).toMatchObject({ reason: 'final-state', currentState: 'cancelled' });
      const store = app.get<MemoryTransitionStore>(testingStoreToken('order'));
      expect(store.rows.get('1')).toMatchObject({ state: 'shipped', context: { carrier: 'UPS' } });
      expect(store.log.map((r) => r.event)).toEqual(['SHIP']);
    } finally {
      await app.close();
    }
  });
});

describe('transitionTestingModule: timers', () => {
  const ticket = defineResource({
    resource: 'ticket',
    machine: setup({ types: {} as { events: { type: 'ANSWER' } } }).createMachine({
      id: 'ticket',
      initial: 'open',
      states: {
        open: { after: { [30 * 60_000]: 'stale' }, on: { ANSWER: 'answered' } },
        answered: {},
        stale: {},
      },
    }),
    store: MemoryTransitionStore,
  });

  /** A fired timer is a transition like any other: the outbox delivers it to its handlers. */
  @Injectable()
  class Staleness {
    readonly seen: string[] = [];
    @OnTransition(ticket, { to: ['stale'] })
    stale(delivery: TransitionDelivery) {
      this.seen.push(`${delivery.record.resourceId} ${delivery.record.actor}`);
    }
  }

  it('says "30 minutes later" in a millisecond: seeded rows have their timers, advanceTime fires them', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        transitionTestingModule({
          resources: [ticket],
          seed: { ticket: { '1': { state: 'open' }, '2': { state: 'open' } } },
        }),
      ],
      providers: [Staleness],
    }).compile();
    const app = await moduleRef.init();
    try {
      const store = app.get<MemoryTransitionStore>(testingStoreToken('ticket'));
      await app.get(TransitionService).send(ticket, '2', 'ANSWER');
      expect(await advanceTime(app, 29 * 60_000)).toBe(0);
      expect(store.rows.get('1')?.state).toBe('open');
      expect(await advanceTime(app, 60_000)).toBe(1);
      expect(store.rows.get('1')?.state).toBe('stale');
      expect(store.rows.get('2')?.state).toBe('answered');
      const [fired] = store.log.filter((r) => r.resourceId === '1');
      expect(fired).toMatchObject({
        event: 'xstate.after.1800000.ticket.open',
        from: 'open',
        to: 'stale',
        actor: 'system:timer',
      });
      expect(await app.get(TransitionService).timers('ticket', '1')).toEqual([]);
      const handler = app.get(Staleness);
      for (let i = 0; i < 100 && handler.seen.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(handler.seen).toEqual(['1 system:timer']);
    } finally {
      await app.close();
    }
  });
});
