import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Inject, Injectable, Param, Post } from '@nestjs/common';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { setup } from 'xstate';
import {
  CommittedTransition,
  CurrentTransition,
  defineResource,
  Transition,
  TransitionService,
  TransitionTimers,
} from '../../src/index.js';
import { TypeOrmTransitionStore } from '../../src/store/typeorm/index.js';
import {
  libraryTables,
  outboxLibraryTables,
  timerLibraryTables,
  type Tables,
} from './store-tables.js';

/**
 * Invoices with a payment window, for the timer suites (test/e2e/timers, test/fault/timers-crash):
 * `open` expires after `PAYMENT_WINDOW`, the row's `windowMs`; PAY in time disarms it; EXTEND
 * re-enters `open` (the window starts again). The controller creates an invoice and its timer in
 * one transaction, and serves its state, timers and history.
 */
@Entity({ name: 'invoices' })
export class Invoice {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'varchar', length: 20 }) status!: string;
  @Column({ type: 'integer' }) windowMs!: number;
  @Column({ type: 'integer' }) version!: number;
}

/** The invoices table and the library's (log, outbox, timers). */
export const invoiceTables: Tables = (d) => [
  `CREATE TABLE ${d.q('invoices')} (${d.q('id')} ${d.serial}, ${d.q('status')} varchar(20) NOT NULL, ${d.q('windowMs')} integer NOT NULL, ${d.q('version')} integer NOT NULL)`,
  ...libraryTables(d),
  ...outboxLibraryTables(d),
  ...timerLibraryTables(d),
];

export const invoiceMachine = setup({
  types: {} as {
    context: { windowMs: number };
    events: { type: 'PAY' } | { type: 'EXTEND' } | { type: 'REFUND' };
  },
  delays: { PAYMENT_WINDOW: ({ context }) => context.windowMs },
}).createMachine({
  id: 'invoice',
  initial: 'open',
  context: { windowMs: 1000 },
  states: {
    open: {
      after: { PAYMENT_WINDOW: 'expired' },
      on: { PAY: 'paid', EXTEND: { target: 'open', reenter: true } },
    },
    paid: { on: { REFUND: 'refunded' } },
    expired: { type: 'final' },
    refunded: { type: 'final' },
  },
});

/** The payment window's timer: its XState id, the event it sends. */
export const TIMER = 'xstate.after.PAYMENT_WINDOW.invoice.open';

@Injectable()
export class InvoiceStore extends TypeOrmTransitionStore<Invoice, { windowMs: number }> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, {
      entity: Invoice,
      name: 'invoice',
      stateProperty: 'status',
      versionProperty: 'version',
      contextProperties: ['windowMs'],
      log: true,
    });
  }
}

export const invoice = defineResource({
  resource: 'invoice',
  machine: invoiceMachine,
  store: InvoiceStore,
});

@Controller('invoices')
export class InvoicesController {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(TransitionService) private readonly transitions: TransitionService,
    @Inject(TransitionTimers) private readonly timers: TransitionTimers,
  ) {}

  @Post()
  async create(@Body() body: { windowMs: number }) {
    // The row and its first timer commit together.
    return this.dataSource.transaction(async (manager) => {
      const row = await manager.save(Invoice, {
        status: 'open',
        windowMs: body.windowMs,
        version: 0,
      });
      await this.timers.start('invoice', String(row.id), {
        tx: manager,
        context: { windowMs: body.windowMs },
        version: 0,
      });
      return { id: String(row.id) };
    });
  }

  @Post(':id/pay')
  @HttpCode(200)
  @Transition(invoice, 'PAY', { commit: true })
  pay(@CommittedTransition() c: CommittedTransition) {
    return { to: c.to, version: c.version };
  }

  @Post(':id/extend')
  @HttpCode(200)
  @Transition(invoice, 'EXTEND')
  async extend(@CurrentTransition() t: CurrentTransition<typeof invoice, 'EXTEND'>) {
    // Re-entering `open` arms a timer whose delay reads the row: committed after reading it.
    const c = await this.transitions.commit(t);
    return { to: c.to, version: c.version };
  }

  @Get(':id')
  async get(@Param('id') id: string) {
    return (await this.transitions.inspect('invoice', id)) ?? {};
  }

  @Get(':id/timers')
  timersOf(@Param('id') id: string) {
    return this.transitions.timers('invoice', id);
  }

  @Get(':id/history')
  history(@Param('id') id: string) {
    return this.transitions.history('invoice', id, { limit: '50' });
  }
}
