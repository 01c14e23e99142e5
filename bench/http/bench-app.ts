import 'reflect-metadata';
import {
  Body,
  Controller,
  createParamDecorator,
  Global,
  HttpCode,
  Inject,
  Injectable,
  Module,
  Param,
  Post,
  UseGuards,
  UseInterceptors,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  CommittedTransition,
  CurrentTransition,
  defineResource,
  OnTransition,
  Transition,
  TransitionGuardModule,
  TransitionService,
} from '../../src/index.js';
// Internal since wave 3 (attached by @Transition for idempotency): the row (ai) shows its cost.
import { TransitionInterceptor } from '../../src/nest/response/transition.interceptor.js';
import {
  HandledTransitionEntry,
  TypeOrmIdempotencyStore,
  IdempotencyKeyEntry,
  TransitionLogEntry,
  TransitionOutboxEntry,
  TypeOrmOutboxStore,
  TypeOrmTransitionStore,
} from '../../src/store/typeorm/index.js';
import { orderMachine, orderPayloads } from '../../machines/order.machine.js';
import { Order } from '../../examples/orders-api/src/orders/order.entity.js';
import { HandOutboxMessage, HandWritten, type Track } from './hand-written.js';
import {
  trackedOrderMachine,
  trackedOrderPayloads,
} from '../../test/support/tracked-order.machine.js';
import { orderDrizzle, orderMikro, orderPrisma, ormProviders } from './orm-stores.js';

/**
 * The demo's order store, without the transition log (so that (a) writes what the hand-written
 * routes write: the row, nothing else) or with it (al).
 */
function orderStore(log: boolean) {
  @Injectable()
  class OrderStore extends TypeOrmTransitionStore<Order, { total: number; paid: number }> {
    constructor(@Inject(DataSource) dataSource: DataSource) {
      super(dataSource, {
        entity: Order,
        name: 'order',
        stateProperty: 'status',
        versionProperty: 'version',
        contextProperties: ['total', 'paid'],
        log,
      });
    }
  }
  return OrderStore;
}
const BenchOrderStore = orderStore(false);
const LoggedOrderStore = orderStore(true);

const order = defineResource({
  resource: 'order',
  machine: orderMachine,
  store: BenchOrderStore,
  payloads: orderPayloads,
});

/** The same orders, each commit with its log row (al). */
const logged = defineResource({
  resource: 'order-logged',
  machine: orderMachine,
  store: LoggedOrderStore,
  payloads: orderPayloads,
});

/** The layer rows' no-op guard: what NestJS charges for a guard, doing nothing (n). */
@Injectable()
class NoopGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}
/** The layer rows' param decorator: what NestJS charges for one, reading the route's id (n). */
const OrderId = createParamDecorator((_: unknown, ctx: ExecutionContext) =>
  Number(ctx.switchToHttp().getRequest<{ params: { id: string } }>().params.id),
);

/**
 * The same orders as another resource with an `@OnTransition()` handler on PAY: each commit
 * writes an outbox message in its transaction, and the relay (running in the app) delivers it.
 */
const outboxed = defineResource({
  resource: 'order-outboxed',
  machine: orderMachine,
  store: BenchOrderStore,
  payloads: orderPayloads,
});

/**
 * The same orders under a machine whose TRACK (a new carrier and tracking number for a shipped
 * order) no guard and no context decides: what the guard can commit in one statement (a1).
 */
const tracked = defineResource({
  resource: 'order-tracked',
  machine: trackedOrderMachine,
  store: BenchOrderStore,
  payloads: trackedOrderPayloads,
});

@Injectable()
class PaymentListener {
  delivered = 0;
  @OnTransition(outboxed, { event: 'PAY' })
  paid() {
    this.delivered++;
  }
}

/** Implementations of the route, by their letter: what the tables show. */
export const IMPLS = {
  a: '@Transition + commit',
  ao: '@Transition + commit + outbox message',
  ap: '@Transition + commit, pessimistic',
  ai: '(a) + TransitionInterceptor on the route (what every route paid before 2026-12-03)',
  ah: '@Transition, the compare-and-set by hand (no commit())',
  n: 'no-op guard + param decorator, then (d3)',
  al: '(a) with its transition log row',
  ak: '(a) with an Idempotency-Key (a new key per request)',
  a1: '@Transition({ commit }): the guard commits, one statement',
  ap1: '@Transition({ commitLocked }): the guard commits under the row lock',
  'a-drizzle': '@Transition + commit, DrizzleTransitionStore',
  'a-prisma': '@Transition + commit, PrismaTransitionStore',
  'a-mikro-orm': '@Transition + commit, MikroOrmTransitionStore',
  b: 'hand-written, plain UPDATE (loses updates)',
  c: 'XState in the controller',
  d1: 'hand-written, one conditional UPDATE',
  d2: 'hand-written, SELECT FOR UPDATE',
  d3: 'hand-written, read + compare-and-set by version',
  d3o: '(d3) writing an outbox message (hand-written, not delivered)',
} as const;
export type Impl = keyof typeof IMPLS;

/**
 * The same PAY route every way, on the same table (a partial payment: legal from pending, the
 * order stays pending), and SHIP on a cancelled order, refused: guarded (a) with its full 409
 * body, hand-written (b) with one conditional UPDATE and a bare 409.
 */
@Controller()
class BenchController {
  // Explicit tokens: the benchmark runs through tsx, which emits no decorator metadata.
  constructor(
    @Inject(TransitionService) private readonly transitions: TransitionService,
    @Inject(HandWritten) private readonly hand: HandWritten,
  ) {}

  @Post('a/orders/:id/pay')
  @HttpCode(200)
  @Transition(order, 'PAY')
  aPay(@CurrentTransition() t: CurrentTransition<typeof order, 'PAY'>) {
    return this.commitPay(t);
  }

  @Post('ao/orders/:id/pay')
  @HttpCode(200)
  @Transition(outboxed, 'PAY')
  aoPay(@CurrentTransition() t: CurrentTransition<typeof outboxed, 'PAY'>) {
    return this.commitPay(t);
  }

  @Post('ai/orders/:id/pay')
  @HttpCode(200)
  @Transition(order, 'PAY')
  @UseInterceptors(TransitionInterceptor)
  aiPay(@CurrentTransition() t: CurrentTransition<typeof order, 'PAY'>) {
    return this.commitPay(t);
  }

  @Post('ah/orders/:id/pay')
  @HttpCode(200)
  @Transition(order, 'PAY')
  ahPay(@CurrentTransition() t: CurrentTransition<typeof order, 'PAY'>) {
    return this.hand.casPay(Number(t.id), t.version!, t.payload.amount);
  }

  @Post('n/orders/:id/pay')
  @HttpCode(200)
  @UseGuards(NoopGuard)
  nPay(@OrderId() id: number, @Body() body: { amount: number }) {
    return this.hand.d3Pay(id, body);
  }

  @Post('al/orders/:id/pay')
  @HttpCode(200)
  @Transition(logged, 'PAY')
  alPay(@CurrentTransition() t: CurrentTransition<typeof logged, 'PAY'>) {
    return this.commitPay(t);
  }

  @Post('ak/orders/:id/pay')
  @HttpCode(200)
  @Transition(order, 'PAY', { idempotency: true })
  akPay(@CurrentTransition() t: CurrentTransition<typeof order, 'PAY'>) {
    return this.commitPay(t);
  }

  @Post('ap/orders/:id/pay')
  @HttpCode(200)
  @Transition(order, 'PAY')
  async apPay(@CurrentTransition() t: CurrentTransition<typeof order, 'PAY'>) {
    const c = await this.transitions.commit(
      t,
      (base) => ({ paid: base.context.paid + t.payload.amount }),
      { locking: 'pessimistic' },
    );
    return { id: Number(t.id), state: c.to, version: c.version };
  }

  @Post('ap1/orders/:id/pay')
  @HttpCode(200)
  @Transition(order, 'PAY', {
    commitLocked: { changes: (p, row) => ({ paid: row.context.paid + p.amount }) },
  })
  ap1Pay(@CommittedTransition() c: CommittedTransition) {
    return { id: Number(c.id), state: c.to, version: c.version };
  }

  @Post('a-drizzle/orders/:id/pay')
  @HttpCode(200)
  @Transition(orderDrizzle, 'PAY')
  aDrizzlePay(@CurrentTransition() t: CurrentTransition<typeof orderDrizzle, 'PAY'>) {
    return this.commitPay(t);
  }

  @Post('a-prisma/orders/:id/pay')
  @HttpCode(200)
  @Transition(orderPrisma, 'PAY')
  aPrismaPay(@CurrentTransition() t: CurrentTransition<typeof orderPrisma, 'PAY'>) {
    return this.commitPay(t);
  }

  @Post('a-mikro-orm/orders/:id/pay')
  @HttpCode(200)
  @Transition(orderMikro, 'PAY')
  aMikroPay(@CurrentTransition() t: CurrentTransition<typeof orderMikro, 'PAY'>) {
    return this.commitPay(t);
  }

  @Post('a/orders/:id/track')
  @HttpCode(200)
  @Transition(tracked, 'TRACK')
  async aTrack(@CurrentTransition() t: CurrentTransition<typeof tracked, 'TRACK'>) {
    const { carrier, trackingNumber } = t.payload;
    const c = await this.transitions.commit(t, { carrier, trackingNumber });
    return { id: Number(t.id), state: c.to, version: c.version };
  }

  @Post('a1/orders/:id/track')
  @HttpCode(200)
  @Transition(tracked, 'TRACK', {
    commit: { changes: (p) => ({ carrier: p.carrier, trackingNumber: p.trackingNumber }) },
  })
  a1Track(@CommittedTransition() c: CommittedTransition) {
    return { id: Number(c.id), state: c.to, version: c.version };
  }

  @Post('d1/orders/:id/track')
  @HttpCode(200)
  d1Track(@Param('id') id: string, @Body() body: Track) {
    return this.hand.d1Track(Number(id), body);
  }

  @Post('d3/orders/:id/track')
  @HttpCode(200)
  d3Track(@Param('id') id: string, @Body() body: Track) {
    return this.hand.d3Track(Number(id), body);
  }

  @Post('a/orders/:id/ship')
  @HttpCode(200)
  @Transition(order, 'SHIP')
  async aShip(@CurrentTransition() t: CurrentTransition<typeof order, 'SHIP'>) {
    const c = await this.transitions.commit(t);
    return { id: Number(t.id), state: c.to };
  }

  /** The legal PAY committed: the new `paid`, written with the state (route (a) and its variants). */
  private async commitPay(t: CurrentTransition<typeof order, 'PAY'>) {
    const c = await this.transitions.commit(t, (base) => ({
      paid: base.context.paid + t.payload.amount,
    }));
    return { id: Number(t.id), state: c.to, version: c.version };
  }

  // Each hand-written route on its own static path, as an app would write it (no dispatch).
  @Post('b/orders/:id/pay')
  @HttpCode(200)
  bPay(@Param('id') id: string, @Body() body: { amount: number }) {
    return this.hand.bPay(Number(id), body);
  }

  @Post('c/orders/:id/pay')
  @HttpCode(200)
  cPay(@Param('id') id: string, @Body() body: { amount: number }) {
    return this.hand.cPay(Number(id), body);
  }

  @Post('d1/orders/:id/pay')
  @HttpCode(200)
  d1Pay(@Param('id') id: string, @Body() body: { amount: number }) {
    return this.hand.d1Pay(Number(id), body);
  }

  @Post('d2/orders/:id/pay')
  @HttpCode(200)
  d2Pay(@Param('id') id: string, @Body() body: { amount: number }) {
    return this.hand.d2Pay(Number(id), body);
  }

  @Post('d3/orders/:id/pay')
  @HttpCode(200)
  d3Pay(@Param('id') id: string, @Body() body: { amount: number }) {
    return this.hand.d3Pay(Number(id), body);
  }

  @Post('d3o/orders/:id/pay')
  @HttpCode(200)
  d3oPay(@Param('id') id: string, @Body() body: { amount: number }) {
    return this.hand.d3oPay(Number(id), body);
  }

  @Post('b/orders/:id/ship')
  @HttpCode(200)
  bShip(@Param('id') id: string) {
    return this.hand.ship(Number(id));
  }
}

export type BenchDatabase = { sqlite: string } | { postgres: string } | { mysql: string };

const entities = [
  Order,
  TransitionLogEntry,
  TransitionOutboxEntry,
  HandledTransitionEntry,
  IdempotencyKeyEntry,
  HandOutboxMessage,
];

export async function createBenchApp(
  platform: 'express' | 'fastify',
  database: BenchDatabase,
): Promise<INestApplication> {
  const orms = await ormProviders(database);
  @Global()
  @Module({ providers: orms, exports: orms as never[] })
  class OrmModule {}
  @Module({
    imports: [
      TypeOrmModule.forRoot(
        'postgres' in database
          ? {
              type: 'postgres',
              url: database.postgres,
              entities,
              synchronize: true,
            }
          : 'mysql' in database
            ? { type: 'mysql', url: database.mysql, entities, synchronize: true }
            : {
                type: 'better-sqlite3',
                database: database.sqlite,
                entities,
                synchronize: true,
                // WAL, as a production SQLite would run: the same for every implementation.
                enableWAL: true,
              },
      ),
      TypeOrmModule.forFeature([Order]),
      TransitionGuardModule.forRoot({
        commit: { maxRetries: 10 },
        // (ak) sends keys without a caller identity: one namespace, which a bench can afford.
        idempotency: { store: TypeOrmIdempotencyStore, anonymousKeys: 'shared' },
        // OUTBOX_RELAY=0: this process only writes messages; a worker process delivers them.
        outbox: {
          store: TypeOrmOutboxStore,
          pollIntervalMs: 200,
          relay: process.env.OUTBOX_RELAY !== '0',
          // On PostgreSQL the writing app wakes the worker's relay (LISTEN/NOTIFY).
          ...('postgres' in database ? { notify: { url: database.postgres } } : {}),
        },
      }),
      TransitionGuardModule.forFeature(
        [order, outboxed, logged, tracked, orderDrizzle, orderPrisma, orderMikro],
        {
          imports: [OrmModule],
        },
      ),
    ],
    controllers: [BenchController],
    providers: [HandWritten, PaymentListener, NoopGuard],
  })
  class BenchModule {}
  if (platform === 'fastify') {
    return NestFactory.create(BenchModule, new FastifyAdapter(), { logger: false });
  }
  const app = await NestFactory.create<NestExpressApplication>(BenchModule, new ExpressAdapter(), {
    logger: false,
  });
  app.set('etag', false);
  return app;
}
