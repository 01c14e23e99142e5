import 'reflect-metadata';
import {
  Controller,
  Get,
  Global,
  Headers,
  HttpCode,
  Inject,
  Injectable,
  Module,
  Post,
  UnprocessableEntityException,
  type Provider,
  type Type,
} from '@nestjs/common';
import { ClsModule } from 'nestjs-cls';
import {
  ClsPluginTransactional,
  Propagation,
  Transactional,
  TransactionHost,
} from '@nestjs-cls/transactional';
import {
  CurrentTransition,
  defineResource,
  Transition,
  TransitionGuardModule,
  TransitionService,
} from '../../../src/index.js';
import { type IdempotencyStore, type TransitionStore } from '../../../src/store/index.js';
import { orderMachine, orderPayloads, type OrderContext } from '../../../machines/order.machine.js';

/** What the handler does around its commit(), chosen per request by `X-Outcome`. */
export type Outcome = 'ok' | 'fail' | 'nested-ok' | 'nested-fail';

/**
 * An orders app (run by ambient-app-main.ts) whose PAY handler works inside `@Transactional()` (`@nestjs-cls/transactional`):
 * it writes a note of its own through `TransactionHost.tx`, commits the transition (in the same
 * transaction, through a store given the `TransactionHost`), and with `X-Outcome: fail` throws
 * after commit() returned, so that the whole transaction rolls back; `nested-*` commits in a
 * nested transaction (a savepoint) of the handler's. `GET /hooks` lists the runs of an
 * afterCommit hook on PAY with the status it saw committed.
 */
export function ambientOrdersModule(db: {
  /** The database handle under the adapter's connection token, and what the stores need. */
  readonly providers: Provider[];
  /** The `@nestjs-cls/transactional` adapter (wrapped by `withTransitionHooks`, or not). */
  readonly adapter: ConstructorParameters<typeof ClsPluginTransactional>[0]['adapter'];
  /** Store classes that take the database and the `TransactionHost`. */
  readonly orderStore: Type<TransitionStore<OrderContext, { paid?: number }>>;
  readonly keyStore: Type<IdempotencyStore>;
  /** The handler's own write, through the transaction's client. */
  writeNote(tx: unknown, orderId: string): Promise<void>;
  /** An order's status read over a connection of its own: what is committed. */
  committedStatus(orderId: string): Promise<string | undefined>;
}) {
  /** The afterCommit hook's runs: which order, and the status committed when it ran. */
  const hookRuns: { id: string; seen: string | undefined }[] = [];
  const order = defineResource({
    resource: 'order',
    machine: orderMachine,
    store: db.orderStore,
    payloads: orderPayloads,
  });

  @Injectable()
  class Payments {
    constructor(
      @Inject(TransitionService) private readonly transitions: TransitionService,
      @Inject(TransactionHost) private readonly txHost: TransactionHost,
    ) {}

    @Transactional()
    async pay(t: CurrentTransition<typeof order, 'PAY'>, outcome: Outcome) {
      await db.writeNote(this.txHost.tx, t.id);
      const done = outcome.startsWith('nested') ? await this.payNested(t) : await this.commit(t);
      if (outcome.endsWith('fail')) {
        throw new UnprocessableEntityException('the handler failed after commit()');
      }
      return done;
    }

    @Transactional(Propagation.Nested)
    async payNested(t: CurrentTransition<typeof order, 'PAY'>) {
      return this.commit(t);
    }

    private commit(t: CurrentTransition<typeof order, 'PAY'>) {
      return this.transitions.commit(t, (base) => ({
        paid: base.context.paid + t.payload.amount,
      }));
    }
  }

  @Controller('orders/:id')
  class OrdersController {
    constructor(@Inject(Payments) private readonly payments: Payments) {}

    @Post('pay')
    @HttpCode(200)
    @Transition(order, 'PAY', { idempotency: true })
    pay(
      @CurrentTransition() t: CurrentTransition<typeof order, 'PAY'>,
      @Headers('x-outcome') outcome: Outcome | undefined,
    ) {
      return this.payments.pay(t, outcome ?? 'ok');
    }
  }

  @Controller('hooks')
  class HooksController {
    constructor(@Inject(TransitionService) transitions: TransitionService) {
      transitions.onTransition({
        resource: 'order',
        event: 'PAY',
        afterCommit: async (r) => {
          hookRuns.push({ id: r.resourceId, seen: await db.committedStatus(r.resourceId) });
        },
      });
    }

    @Get()
    runs() {
      return hookRuns;
    }
  }

  @Global()
  @Module({ providers: db.providers, exports: db.providers as never[] })
  class DatabaseModule {}

  @Module({
    imports: [
      DatabaseModule,
      ClsModule.forRoot({
        global: true,
        plugins: [new ClsPluginTransactional({ imports: [DatabaseModule], adapter: db.adapter })],
      }),
      TransitionGuardModule.forRoot({
        getActor: (r) =>
          typeof r.headers['x-user-id'] === 'string' ? r.headers['x-user-id'] : null,
        idempotency: { store: db.keyStore },
      }),
      TransitionGuardModule.forFeature([order]),
    ],
    providers: [Payments],
    controllers: [OrdersController, HooksController],
  })
  class AppModule {}
  return AppModule;
}
