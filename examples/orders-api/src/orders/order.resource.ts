import { defineResource } from 'nestjs-transition-guard';
import { orderMachine, orderPayloads } from '../../../../machines/order.machine.js';
import { ormFromEnv } from '../orm/orm.js';
import { OrderStore } from './order.store.js';

/**
 * ORM=prisma|drizzle|mikro-orm: the order's stores on that ORM (TypeORM by default). The other
 * ORMs' wiring is loaded only then: a default start does not load Prisma, Drizzle or MikroORM.
 */
const orm = ormFromEnv();
const other = orm === 'typeorm' ? undefined : (await import('../orm/orm-stores.js')).ormStores(orm);

/**
 * The order resource: its machine, its store and its payload schemas, declared once.
 * ORDER_LOCKING=pessimistic makes commits lock the row (for a hot order) instead of racing.
 */
export const order = defineResource({
  resource: 'order',
  machine: orderMachine,
  store: other?.order ?? OrderStore,
  payloads: orderPayloads,
  locking: process.env.ORDER_LOCKING === 'pessimistic' ? 'pessimistic' : 'optimistic',
});
