import { setup } from 'xstate';
import { z } from 'zod';
import { text } from '../../machines/order.machine.js';

/**
 * An order whose shipment can be re-tracked (a new carrier or tracking number while it stays
 * shipped) and cancelled from two states: events no guard and no context decides, which a guard
 * can commit in one statement. PAY keeps its context guard, for the refusals of `commit`.
 */
export const trackedOrderPayloads = {
  PAY: z.strictObject({ amount: z.number().int().positive() }),
  SHIP: z.strictObject({ carrier: text(1, 64), trackingNumber: text(1, 64) }),
  TRACK: z.strictObject({ carrier: text(1, 64), trackingNumber: text(1, 64) }),
  CANCEL: z.strictObject({}),
  DELIVER: z.strictObject({}),
};

export const trackedOrderMachine = setup({
  types: {} as {
    context: { total: number; paid: number };
    events:
      | { type: 'PAY'; amount: number }
      | { type: 'SHIP'; carrier: string; trackingNumber: string }
      | { type: 'TRACK'; carrier: string; trackingNumber: string }
      | { type: 'CANCEL' }
      | { type: 'DELIVER' };
  },
  schemas: { events: trackedOrderPayloads },
  guards: {
    coversBalance: ({ context, event }) =>
      event.type === 'PAY' && event.amount >= context.total - context.paid,
  },
}).createMachine({
  id: 'tracked-order',
  initial: 'pending',
  context: { total: 0, paid: 0 },
  states: {
    pending: { on: { PAY: { target: 'paid', guard: 'coversBalance' }, CANCEL: 'cancelled' } },
    paid: { on: { SHIP: 'shipped', CANCEL: 'cancelled' } },
    shipped: { on: { TRACK: 'shipped', DELIVER: 'delivered' } },
    delivered: { type: 'final' },
    cancelled: { type: 'final' },
  },
});
