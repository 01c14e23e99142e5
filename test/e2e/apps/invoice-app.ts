import 'reflect-metadata';
import {
  Controller,
  Headers,
  HttpCode,
  Inject,
  Injectable,
  InternalServerErrorException,
  Module,
  Post,
} from '@nestjs/common';
import { setup } from 'xstate';
import { z } from 'zod';
import {
  CurrentTransition,
  defineResource,
  MemoryIdempotencyStore,
  MemoryTransitionStore,
  Transition,
  TransitionGuardModule,
  TransitionService,
  type TransitionGuardOptions,
} from '../../../src/index.js';
import { StoreUnavailableError } from '../../../src/store/index.js';

/**
 * A small app for the idempotency scenarios: invoices paid in parts, voided, refunded by support.
 * Rows and keys live in memory (this is about the protocol, not a database); callers and roles
 * come from headers. A handler can be told to fail before or after its commit.
 */
export interface InvoiceContext {
  total: number;
  paid: number;
}

export const invoiceMachine = setup({
  types: {} as {
    context: InvoiceContext;
    events: { type: 'PAY'; amount: number } | { type: 'VOID' } | { type: 'REFUND' };
  },
  guards: {
    settles: ({ context, event }) =>
      event.type === 'PAY' && context.paid + event.amount >= context.total,
  },
}).createMachine({
  id: 'invoice',
  initial: 'open',
  context: { total: 0, paid: 0 },
  states: {
    open: {
      on: {
        PAY: [{ target: 'paid', guard: 'settles' }, { target: 'open' }],
        VOID: 'void',
      },
    },
    paid: { on: { REFUND: { target: 'refunded', meta: { roles: ['support'] } } } },
    void: { type: 'final' },
    refunded: { type: 'final' },
  },
});

@Injectable()
export class InvoiceStore extends MemoryTransitionStore<InvoiceContext> {
  /** Failures to inject: the next `count` calls of `method` throw. */
  failNext: { method: 'load' | 'compareAndSet'; count: number; error: () => Error } | undefined;

  override load(id: string) {
    if (this.failNext?.method === 'load' && this.failNext.count-- > 0)
      return Promise.reject(this.failNext.error());
    return super.load(id);
  }

  override compareAndSet(
    ...args: Parameters<MemoryTransitionStore<InvoiceContext>['compareAndSet']>
  ) {
    if (this.failNext?.method === 'compareAndSet' && this.failNext.count-- > 0) {
      return Promise.reject(this.failNext.error());
    }
    return super.compareAndSet(...args);
  }
}

export const invoice = defineResource({
  resource: 'invoice',
  machine: invoiceMachine,
  store: InvoiceStore,
  payloads: {
    PAY: z.strictObject({ amount: z.number().int().positive() }),
    VOID: z.strictObject({}),
    REFUND: z.strictObject({}),
  },
});

@Controller('invoices/:id')
class InvoicesController {
  constructor(@Inject(TransitionService) private readonly transitions: TransitionService) {}

  @Post('pay')
  @HttpCode(200)
  @Transition(invoice, 'PAY', { idempotency: true })
  async pay(
    @CurrentTransition() t: CurrentTransition<typeof invoice, 'PAY'>,
    @Headers('x-fail') fail: string | undefined,
    @Headers('x-delay-ms') delay: string | undefined,
  ) {
    if (delay) await new Promise((r) => setTimeout(r, Number(delay)));
    if (fail === 'before') throw new InternalServerErrorException();
    const committed = await this.transitions.commit(t, (base) => ({
      paid: base.context.paid + t.payload.amount,
    }));
    // After the commit: a read that fails, the network that drops.
    if (fail === 'after') throw new Error('lost the connection right after the commit');
    return { transition: committed, paidNow: t.payload.amount };
  }

  @Post('void')
  @HttpCode(200)
  @Transition(invoice, 'VOID')
  async void(@CurrentTransition() t: CurrentTransition<typeof invoice, 'VOID'>) {
    return { transition: await this.transitions.commit(t) };
  }

  @Post('refund')
  @HttpCode(200)
  @Transition(invoice, 'REFUND', { idempotency: true })
  async refund(@CurrentTransition() t: CurrentTransition<typeof invoice, 'REFUND'>) {
    return { transition: await this.transitions.commit(t) };
  }
}

/** PAY with the invoice's id where a route might read it but the path: a query, a header. */
@Controller('invoices')
class InvoicesByOtherIdsController {
  constructor(@Inject(TransitionService) private readonly transitions: TransitionService) {}

  @Post('pay')
  @HttpCode(200)
  @Transition(invoice, 'PAY', { idempotency: true, id: { query: 'invoice' } })
  async payByQuery(@CurrentTransition() t: CurrentTransition<typeof invoice, 'PAY'>) {
    return this.pay(t);
  }

  @Post('pay-by-header')
  @HttpCode(200)
  @Transition(invoice, 'PAY', { idempotency: true, id: { header: 'x-invoice' } })
  async payByHeader(@CurrentTransition() t: CurrentTransition<typeof invoice, 'PAY'>) {
    return this.pay(t);
  }

  private async pay(t: CurrentTransition<typeof invoice, 'PAY'>) {
    const committed = await this.transitions.commit(t, (base) => ({
      paid: base.context.paid + t.payload.amount,
    }));
    return { transition: committed, paidNow: t.payload.amount };
  }
}

/** Idempotency keys in memory, with failures to inject (the store down for some calls). */
@Injectable()
export class FlakyIdempotencyStore extends MemoryIdempotencyStore {
  failNext: { method: 'release' | 'complete' | 'get' | 'renew'; count: number } | undefined;

  private fails(method: 'release' | 'complete' | 'get' | 'renew'): boolean {
    return this.failNext?.method === method && this.failNext.count-- > 0;
  }

  override get(caller: string, key: string) {
    if (this.fails('get'))
      return Promise.reject(
        new StoreUnavailableError('idempotency', { cause: new Error('ECONNREFUSED') }),
      );
    return super.get(caller, key);
  }

  override release(caller: string, key: string, token: string) {
    if (this.fails('release'))
      return Promise.reject(
        new StoreUnavailableError('idempotency', { cause: new Error('ECONNREFUSED') }),
      );
    return super.release(caller, key, token);
  }

  override renew(...args: Parameters<MemoryIdempotencyStore['renew']>) {
    if (this.fails('renew'))
      return Promise.reject(
        new StoreUnavailableError('idempotency', { cause: new Error('ECONNREFUSED') }),
      );
    return super.renew(...args);
  }

  override complete(...args: Parameters<MemoryIdempotencyStore['complete']>) {
    if (this.fails('complete'))
      return Promise.reject(
        new StoreUnavailableError('idempotency', { cause: new Error('ECONNREFUSED') }),
      );
    return super.complete(...args);
  }
}

/** The app's root module, with these module options (merged over headers for caller and roles). */
export function invoiceModule(options: TransitionGuardOptions = {}) {
  @Module({
    imports: [
      TransitionGuardModule.forRoot({
        getActor: (r) =>
          typeof r.headers['x-user-id'] === 'string' ? r.headers['x-user-id'] : null,
        getRoles: (r) => r.headers['x-user-role'],
        idempotency: { store: FlakyIdempotencyStore },
        ...options,
      }),
      TransitionGuardModule.forFeature([invoice]),
    ],
    controllers: [InvoicesController, InvoicesByOtherIdsController],
  })
  class InvoiceAppModule {}
  return InvoiceAppModule;
}
