import { defineResource } from 'nestjs-transition-guard';
import { orderMachine } from '../../../../machines/order.machine.js';
import { OrderStateLoader } from './order-state.loader.js';

/** The order resource: its machine and its loader, declared once. */
export const order = defineResource({
  resource: 'order',
  machine: orderMachine,
  loader: OrderStateLoader,
});
