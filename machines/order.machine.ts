import { assign, setup } from 'xstate';
import { z } from 'zod';

/** What an order row carries that the machine's guards read. */
export interface OrderContext {
  /** Order total, in cents. */
  total: number;
  /** Amount paid so far, in cents. */
  paid: number;
}

/** Largest amount in cents an order takes (totals and payments): sums stay within 32 bits. */
export const MAX_AMOUNT = 1_000_000_000;

/** Text a column can hold: a length range, and no NUL (PostgreSQL refuses it). */
export const text = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

/**
 * Payload schemas per event: the validator refuses a payload that fails them (`invalid-payload`).
 * Strict: an unexpected field is refused too, not silently dropped. Bounded by what the columns
 * hold, so that no client input reaches the database unfit for it.
 */
export const orderPayloads = {
  PAY: z.strictObject({ amount: z.number().int().positive().max(MAX_AMOUNT) }),
  SHIP: z.strictObject({ carrier: text(1, 64), trackingNumber: text(1, 64) }),
  DELIVER: z.strictObject({}),
  CANCEL: z.strictObject({}),
  REFUND: z.strictObject({}),
};

export type OrderEvent =
  | { type: 'PAY'; amount: number }
  | { type: 'SHIP'; carrier: string; trackingNumber: string }
  | { type: 'DELIVER' }
  | { type: 'CANCEL' }
  | { type: 'REFUND' };

/** The order machine's types, guards, actions and delays (its states: createOrderMachine). */
const orderSetup = setup({
  types: {} as { context: OrderContext; events: OrderEvent },
  schemas: { events: orderPayloads },
  guards: {
    /** The payment covers what is still owed. */
    coversBalance: ({ context, event }) =>
      event.type === 'PAY' && event.amount >= context.total - context.paid,
    /** Nothing is owed: shipping an unpaid order is refused even if a row says 'paid'. */
    paidInFull: ({ context }) => context.paid >= context.total,
  },
  actions: {
    recordPayment: assign({
      paid: ({ context, event }) => context.paid + (event.type === 'PAY' ? event.amount : 0),
    }),
  },
  delays: {
    /** How long a pending order waits for its payment (createOrderMachine's paymentWindowMs). */
    PAYMENT_WINDOW: 30_000,
  },
});

/**
 * The event a pending order's payment window sends when it runs out: XState's id of the timer
 * (`xstate.after.<delay>.<machine>.<state>`), which the log, the history and `@OnTransition`
 * filters name.
 */
export const PAYMENT_WINDOW_EXPIRED = 'xstate.after.PAYMENT_WINDOW.order.pending';

/**
 * An order's lifecycle: pending -> paid -> shipped -> delivered, with cancel and refund exits.
 * Partial payments are recorded while the order stays pending.
 * `cancelled` and `refunded` are final: once there, the order takes no event.
 *
 * With `paymentWindowMs`, a pending order not paid within that window is cancelled by a durable
 * timer (`after: { PAYMENT_WINDOW: 'cancelled' }`, fired by the library's timer loop as
 * `system:timer`); without, the order waits for ever (the machine `orderMachine` below).
 */
export function createOrderMachine(options: { paymentWindowMs?: number } = {}) {
  const windowMs = options.paymentWindowMs;
  const machine = orderSetup.createMachine({
    id: 'order',
    description: 'An order, from checkout to delivery or refund',
    initial: 'pending',
    context: { total: 0, paid: 0 },
    states: {
      pending: {
        // The payment window, when there is one: its timer is armed with the order and disarmed
        // when the order leaves pending (paid or cancelled first).
        ...(windowMs ? { after: { PAYMENT_WINDOW: 'cancelled' } } : {}),
        on: {
          // A payment that covers the balance moves the order to paid; a partial one is recorded
          // and the order stays pending (a targetless transition).
          PAY: [
            { target: 'paid', guard: 'coversBalance', actions: 'recordPayment' },
            { actions: 'recordPayment' },
          ],
          CANCEL: 'cancelled',
        },
      },
      paid: {
        on: {
          SHIP: { target: 'shipped', guard: 'paidInFull' },
          CANCEL: 'cancelled',
          REFUND: 'refunded',
        },
      },
      shipped: {
        on: { DELIVER: 'delivered' },
      },
      delivered: {
        on: { REFUND: { target: 'refunded', meta: { roles: ['support'] } } },
      },
      cancelled: { type: 'final' },
      refunded: { type: 'final' },
    },
  });
  return windowMs ? machine.provide({ delays: { PAYMENT_WINDOW: windowMs } }) : machine;
}

/** The order's lifecycle without a payment window (see createOrderMachine). */
export const orderMachine = createOrderMachine();

export default orderMachine;
