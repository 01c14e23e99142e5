/**
 * Type-level tests: compiled by `npm run lint` (tsc), never run. Each `@ts-expect-error` line must
 * fail to compile; if a change makes it compile, tsc reports the unused directive and lint fails.
 */
import { Controller, Post } from '@nestjs/common';
import type { Repository } from 'typeorm';
import {
  CommittedTransition,
  CurrentTransition,
  defineResource,
  Transition,
  TransitionService,
  type CheckedTransition,
} from '../../src/index.js';
import { TypeOrmTransitionStore } from '../../src/store/typeorm/index.js';
import { orderMachine, orderPayloads, type OrderContext } from '../../machines/order.machine.js';
import { Order } from '../../examples/orders-api/src/orders/order.entity.js';

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(_: T) => undefined;

class OrderStore extends TypeOrmTransitionStore<Order, OrderContext> {}
const order = defineResource({
  resource: 'order',
  machine: orderMachine,
  store: OrderStore,
  payloads: orderPayloads,
});

@Controller('orders')
export class TypedController {
  constructor(
    private readonly transitions: TransitionService,
    readonly repo: Repository<Order>,
  ) {}

  @Post(':id/ship')
  @Transition(order, 'SHIP')
  ship(@CurrentTransition() t: CurrentTransition<typeof order, 'SHIP'>) {
    // The payload is typed from the SHIP schema, the context from the machine.
    assertType<Equal<typeof t.payload, { carrier: string; trackingNumber: string }>>(true);
    assertType<Equal<typeof t.context, OrderContext>>(true);
    assertType<Equal<typeof t.event, 'SHIP'>>(true);
    assertType<Equal<typeof t.version, number | undefined>>(true);
    // commit() accepts the entity's fields, as values or from the row an attempt sees.
    void this.transitions.commit(t, { carrier: t.payload.carrier });
    void this.transitions.commit(t, (base) => ({ paid: base.context.paid }));
    // @ts-expect-error a misspelled column is a compile error
    void this.transitions.commit(t, { carier: 'UPS' });
    // @ts-expect-error the function form is checked the same way
    void this.transitions.commit(t, (base) => ({ paidd: base.context.paid }));
    // @ts-expect-error a value of the wrong type too
    void this.transitions.commit(t, { paid: 'all of it' });
    // @ts-expect-error the payload has no such field
    void t.payload.trackingNumbr;
  }

  // The guard commits: `changes` gets the event's typed payload and returns the entity's fields.
  @Post(':id/ship-now')
  @Transition(order, 'SHIP', {
    commit: { changes: (p) => ({ carrier: p.carrier, trackingNumber: p.trackingNumber }) },
  })
  shipNow(@CommittedTransition() c: CommittedTransition<typeof order>) {
    assertType<Equal<typeof c.version, number | undefined>>(true);
    // The row as written, typed from the store's entity.
    void c.row?.trackingNumber;
    // @ts-expect-error the row has no such column
    void c.row?.trackingNumbr;
  }

  // @ts-expect-error changes naming a column the entity does not have
  @Transition(order, 'SHIP', { commit: { changes: (p) => ({ carier: p.carrier }) } })
  @Post(':id/ship-misspelled')
  shipMisspelled() {}

  // @ts-expect-error the SHIP payload has no amount
  @Transition(order, 'SHIP', { commit: { changes: (p) => ({ paid: p.amount }) } })
  @Post(':id/ship-amount')
  shipAmount() {}

  // @ts-expect-error a misspelled event on a typed resource does not compile
  @Transition(order, 'SHIPP')
  @Post(':id/shipp')
  shipp() {}

  @Post(':id/events')
  @Transition(order)
  send(@CurrentTransition() t: CurrentTransition<typeof order>) {
    // The events route: any event of the machine, payload as sent.
    assertType<Equal<typeof t.payload, Record<string, unknown>>>(true);
  }

  @Post(':id/pay')
  @Transition('order', 'ANY_NAME_CHECKED_AT_BOOTSTRAP')
  byName(@CurrentTransition() t: CurrentTransition<OrderContext>) {
    // A resource by name: the context type alone.
    assertType<Equal<typeof t.context, OrderContext>>(true);
    assertType<Equal<typeof t, CheckedTransition<OrderContext>>>(true);
  }
}

// The payload without a schema comes from the machine's event type.
const bare = defineResource({ resource: 'order', machine: orderMachine, store: OrderStore });
declare const pay: CurrentTransition<typeof bare, 'PAY'>;
assertType<Equal<typeof pay.payload, { amount: number }>>(true);
