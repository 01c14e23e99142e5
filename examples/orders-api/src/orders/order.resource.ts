import { defineResource } from 'nestjs-transition-guard';
import { orderMachine } from '../../../../machines/order.machine.js';
import { OrderStore } from './order.store.js';

/** The order resource: its machine and its store, declared once. */
export const order = defineResource({
  resource: 'order',
  machine: orderMachine,
  store: OrderStore,
});
