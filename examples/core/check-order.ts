/**
 * The core validator on its own, as a worker or a CLI would use it:
 *   npx tsx examples/core/check-order.ts
 */
import { createValidator, IllegalTransitionError } from 'nestjs-transition-guard/core';
import { orderMachine } from '../../machines/order.machine.js';

const orders = createValidator(orderMachine);

// A row as the database holds it: a state string and the fields guards read.
const row = { state: 'paid', context: { total: 4200, paid: 4200 } };

console.log(orders.check(row, { type: 'SHIP', carrier: 'UPS', trackingNumber: '1Z999' }));
// { allowed: true, event: 'SHIP', from: 'paid', to: 'shipped' }

console.log(orders.check({ state: 'cancelled' }, 'SHIP'));
// { allowed: false, event: 'SHIP', from: 'cancelled', reason: 'final-state', allowedEvents: [] }

console.log(orders.allowedEvents(row));
// [ 'CANCEL', 'SHIP', 'REFUND' ]

try {
  orders.assert({ state: 'cancelled' }, 'SHIP');
} catch (err) {
  if (err instanceof IllegalTransitionError) console.log(err.message);
  // Cannot SHIP order: state 'cancelled' is final
}
