import { defineResource } from 'nestjs-transition-guard';
import { orderMachine, orderPayloads } from '../../../../machines/order.machine.js';
import { OrderStore } from './order.store.js';

/**
 * The order resource: its machine, its store and its payload schemas, declared once.
 * ORDER_LOCKING=pessimistic makes commits lock the row (for a hot order) instead of racing.
 */
export const order = defineResource({
  resource: 'order',
  machine: orderMachine,
  store: OrderStore,
  payloads: orderPayloads,
  locking: process.env.ORDER_LOCKING === 'pessimistic' ? 'pessimistic' : 'optimistic',
});
