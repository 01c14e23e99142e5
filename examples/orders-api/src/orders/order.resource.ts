import { defineResource } from 'nestjs-transition-guard';
import { orderMachine, orderPayloads } from '../../../../machines/order.machine.js';
import { ormFromEnv } from '../orm/orm.js';
import { ormStores } from '../orm/orm-stores.js';
import { OrderStore } from './order.store.js';

/** ORM=prisma|drizzle|mikro-orm: the order's stores on that ORM (TypeORM by default). */
const orm = ormFromEnv();

/**
 * The order resource: its machine, its store and its payload schemas, declared once.
 * ORDER_LOCKING=pessimistic makes commits lock the row (for a hot order) instead of racing.
 */
export const order = defineResource({
  resource: 'order',
  machine: orderMachine,
  store: orm === 'typeorm' ? OrderStore : ormStores(orm).order,
  payloads: orderPayloads,
  locking: process.env.ORDER_LOCKING === 'pessimistic' ? 'pessimistic' : 'optimistic',
});
