import { defineResource } from 'nestjs-transition-guard';
import { createOrderMachine, orderPayloads } from '../../../../machines/order.machine.js';
import { ormFromEnv } from '../orm/orm.js';
import { OrderStore } from './order.store.js';

/**
 * ORM=prisma|drizzle|mikro-orm: the order's stores on that ORM (TypeORM by default). The other
 * ORMs' wiring is loaded only then: a default start does not load Prisma, Drizzle or MikroORM.
 */
const orm = ormFromEnv();
const other = orm === 'typeorm' ? undefined : (await import('../orm/orm-stores.js')).ormStores(orm);

/**
 * PAYMENT_WINDOW=<seconds>: a pending order not paid within it is cancelled by a durable timer
 * (`npm start` sets 300 unless told; unset or 0: no window, as in the tests that build the app).
 */
export const paymentWindowMs = windowFromEnv(process.env.PAYMENT_WINDOW);

function windowFromEnv(value: string | undefined): number {
  const seconds = Number(value ?? 0);
  if (value?.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
    throw new Error(
      `PAYMENT_WINDOW must be a number of seconds (0 for no window), not '${String(value)}'`,
    );
  }
  return seconds * 1000;
}

/**
 * The order resource: its machine, its store and its payload schemas, declared once.
 * ORDER_LOCKING=pessimistic makes commits lock the row (for a hot order) instead of racing.
 */
export const order = defineResource({
  resource: 'order',
  machine: createOrderMachine({ paymentWindowMs }),
  store: other?.order ?? OrderStore,
  payloads: orderPayloads,
  locking: process.env.ORDER_LOCKING === 'pessimistic' ? 'pessimistic' : 'optimistic',
});
