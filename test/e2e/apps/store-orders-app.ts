import 'reflect-metadata';
import {
  Controller,
  Global,
  HttpCode,
  Inject,
  Module,
  Post,
  type INestApplication,
  type Provider,
  type Type,
} from '@nestjs/common';
import type request from 'supertest';
import {
  CommittedTransition,
  CurrentTransition,
  defineResource,
  Transition,
  TransitionGuardModule,
  TransitionService,
} from '../../../src/index.js';
import { type IdempotencyStore, type TransitionStore } from '../../../src/store/index.js';
import { isUnavailable } from '../../../src/store/database-failures.js';
import { orderMachine, orderPayloads, type OrderContext } from '../../../machines/order.machine.js';
import { listen } from '../module-harness.js';

/**
 * One orders app for every store adapter: PAY with Idempotency-Key behind the guard, the store
 * and key store classes given (they take the database from `providers`), callers from X-User-Id.
 */
export function storeOrdersModule(stores: {
  orderStore: Type<TransitionStore<OrderContext, { paid?: number }>>;
  keyStore: Type<IdempotencyStore>;
  providers: Provider[];
}) {
  const order = defineResource({
    resource: 'order',
    machine: orderMachine,
    store: stores.orderStore,
    payloads: orderPayloads,
  });

  @Controller('orders/:id')
  class OrdersController {
    constructor(@Inject(TransitionService) private readonly transitions: TransitionService) {}

    @Post('pay')
    @HttpCode(200)
    @Transition(order, 'PAY', { idempotency: true })
    async pay(@CurrentTransition() t: CurrentTransition<typeof order, 'PAY'>) {
      const { row } = await this.transitions.commit(
        t,
        (base) => ({ paid: base.context.paid + t.payload.amount }),
        { returning: true },
      );
      return row;
    }

    @Post('pay-locked')
    @HttpCode(200)
    @Transition(order, 'PAY', {
      commitLocked: {
        changes: (p, row) => ({ paid: row.context.paid + p.amount }),
        returning: true,
      },
    })
    payLocked(@CommittedTransition() c: CommittedTransition<typeof order>) {
      return c.row;
    }

    @Post('cancel')
    @HttpCode(200)
    @Transition(order, 'CANCEL', { idempotency: true, commit: { returning: true } })
    cancel(@CommittedTransition() c: CommittedTransition<typeof order>) {
      return { from: c.from, version: c.version, row: c.row };
    }
  }

  @Global()
  @Module({ providers: stores.providers, exports: stores.providers as never[] })
  class DatabaseModule {}

  @Module({
    imports: [
      DatabaseModule,
      TransitionGuardModule.forRoot({
        getActor: (r) =>
          typeof r.headers['x-user-id'] === 'string' ? r.headers['x-user-id'] : null,
        isStoreUnavailable: isUnavailable,
        idempotency: { store: stores.keyStore },
        commit: { maxRetries: 20 },
      }),
      TransitionGuardModule.forFeature([order]),
    ],
    controllers: [OrdersController],
  })
  class AppModule {}
  return AppModule;
}

/** What the scenarios need from a store adapter's test: the app, and direct reads of its rows. */
export interface StoreUnderTest {
  readonly module: unknown;
  newOrder(total: number): Promise<string>;
  row(id: string): Promise<Record<string, unknown> | undefined>;
  logCount(id: string): Promise<number>;
  /** Makes the database unreachable (a stopped server, a file gone bad). */
  breakDatabase(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The scenarios every store adapter runs behind the guard: racing payments lose nothing, a paid
 * order takes one winner, an Idempotency-Key retry replays (the key marked committed in the
 * transition's own transaction), and a database gone is a 503.
 */
export function describeStoreBehindGuard(name: string, open: () => Promise<StoreUnderTest>) {
  describe(name, () => {
    let app: INestApplication;
    let http: () => ReturnType<typeof request>;
    let db: StoreUnderTest;

    beforeAll(async () => {
      db = await open();
      ({ app, http } = await listen(db.module, 'express'));
    });
    afterAll(async () => {
      await app.close();
      await db.close();
    });

    const pay = (id: string, amount: number, key?: string) => {
      const r = http().post(`/orders/${id}/pay`).set('X-User-Id', 'ann');
      return (key ? r.set('Idempotency-Key', key) : r).send({ amount });
    };

    it('counts every one of 30 racing partial payments that answered 200, and no other', async () => {
      const id = await db.newOrder(1_000);
      const answers = await Promise.all(Array.from({ length: 30 }, () => pay(id, 7)));
      const ok = answers.filter((a) => a.status === 200).length;
      const stale = answers.filter((a) => a.status === 409);
      expect(ok + stale.length).toBe(30);
      for (const a of stale) expect(a.body.reason).toBe('stale-state');
      expect(ok).toBeGreaterThan(0);
      expect(await db.row(id)).toMatchObject({ status: 'pending', paid: 7 * ok, version: ok });
      expect(await db.logCount(id)).toBe(ok);
    });

    it('gives a paid-in-full order exactly one winner among 20 racing payments', async () => {
      const id = await db.newOrder(100);
      const answers = await Promise.all(Array.from({ length: 20 }, () => pay(id, 100)));
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 409)).toHaveLength(19);
      expect(await db.row(id)).toMatchObject({ status: 'paid', paid: 100, version: 1 });
    });

    it('replays an Idempotency-Key retry without paying twice', async () => {
      const id = await db.newOrder(1_000);
      const first = await pay(id, 10, 'pay-1').expect(200);
      expect(first.body).toMatchObject({ status: 'pending', paid: 10, version: 1 });
      const again = await pay(id, 10, 'pay-1').expect(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      // Concurrent retries of one new key: one execution.
      const burst = await Promise.all(Array.from({ length: 8 }, () => pay(id, 5, 'pay-2')));
      expect(burst.every((a) => a.status === 200 || a.status === 409)).toBe(true);
      expect(await db.row(id)).toMatchObject({ paid: 15, version: 2 });
      expect(await db.logCount(id)).toBe(2);
    });

    it('commits CANCEL in the guard, one conditional statement per source state', async () => {
      const paid = await db.newOrder(100);
      await pay(paid, 100).expect(200);
      const res = await http().post(`/orders/${paid}/cancel`).send({}).expect(200);
      expect(res.body).toMatchObject({ from: 'paid', version: 2, row: { status: 'cancelled' } });
      expect(res.headers.etag).toBe('"v2"');
      expect(await db.row(paid)).toMatchObject({ status: 'cancelled', version: 2 });
      expect(await db.logCount(paid)).toBe(2);
      // 20 racing CANCELs of a pending order: one winner, the others the full 409.
      const id = await db.newOrder(100);
      const cancels = await Promise.all(
        Array.from({ length: 20 }, () => http().post(`/orders/${id}/cancel`).send({})),
      );
      expect(cancels.filter((a) => a.status === 200)).toHaveLength(1);
      const refused = cancels.filter((a) => a.status === 409);
      expect(refused.map((a) => a.body.reason)).toEqual(Array(19).fill('final-state'));
      expect(await db.row(id)).toMatchObject({ status: 'cancelled', version: 1 });
      expect(await db.logCount(id)).toBe(1);
    });

    it('queues 30 racing partial payments under the row lock: every one counted, none stale', async () => {
      const id = await db.newOrder(1_000);
      const answers = await Promise.all(
        Array.from({ length: 30 }, () =>
          http().post(`/orders/${id}/pay-locked`).set('X-User-Id', 'ann').send({ amount: 7 }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
      expect(await db.row(id)).toMatchObject({ status: 'pending', paid: 210, version: 30 });
      expect(await db.logCount(id)).toBe(30);
    });

    it('answers 503 while the database is gone, never 500', async () => {
      const id = await db.newOrder(100);
      await db.breakDatabase();
      const down = await pay(id, 10);
      expect(down.status).toBe(503);
      expect(down.body.code).toBe('STORE_UNAVAILABLE');
    });
  });
}
