import { assign, setup } from 'xstate';
import { isTimerEvent, MachineTimers } from '../../../src/core/index.js';

/** `MachineTimers` on a payment window: what a commit arms and disarms, and what a due timer does. */
const order = setup({
  types: {} as {
    context: { total: number; paid: number; windowMs: number };
    events: { type: 'PAY'; amount: number } | { type: 'REMIND' } | { type: 'SHIP' };
  },
  guards: { owes: ({ context }) => context.paid < context.total },
  delays: { PAYMENT_WINDOW: ({ context }) => context.windowMs },
}).createMachine({
  id: 'order',
  initial: 'pending',
  context: { total: 100, paid: 0, windowMs: 1000 },
  states: {
    pending: {
      after: { PAYMENT_WINDOW: { target: 'expired', guard: 'owes' } },
      on: {
        PAY: {
          target: 'paid',
          actions: assign({ paid: ({ context, event }) => context.paid + event.amount }),
        },
        REMIND: { target: 'pending', reenter: true },
      },
    },
    paid: {
      on: {
        SHIP: {
          target: 'shipped',
          actions: () => {
            throw new Error('an action that needs more of the row than the commit read');
          },
        },
      },
    },
    shipped: { after: { 5000: 'delivered' } },
    delivered: {},
    expired: {},
  },
});

const WINDOW = 'xstate.after.PAYMENT_WINDOW.order.pending';
const row = { total: 100, paid: 0, windowMs: 30_000 };

describe('MachineTimers', () => {
  const timers = new MachineTimers(order);

  it('knows the machine has timers, by state, and that a delay reads context', () => {
    expect(timers.declared).toBe(true);
    expect(timers.readsContext).toBe(true);
    expect([...timers.byState]).toEqual([
      ['pending', [WINDOW]],
      ['shipped', ['xstate.after.5000.order.shipped']],
    ]);
    expect(new MachineTimers(setup({}).createMachine({ id: 'x' })).declared).toBe(false);
    expect(isTimerEvent(WINDOW)).toBe(true);
    expect(isTimerEvent('PAY')).toBe(false);
  });

  it('disarms the timers of the state a commit leaves, arms those of the state it enters', () => {
    expect(timers.change('pending', row, { type: 'PAY', amount: 100 }, 'paid')).toEqual({
      disarm: [WINDOW],
      arm: [],
    });
    expect(timers.change('paid', row, { type: 'SHIP' }, 'shipped')).toEqual({
      disarm: [],
      arm: [{ timer: 'xstate.after.5000.order.shipped', delayMs: 5000 }],
    });
    // Re-entered: the deadline starts again, with the delay the row gives now.
    expect(timers.change('pending', { ...row, windowMs: 60_000 }, { type: 'REMIND' })).toEqual({
      disarm: [WINDOW],
      arm: [{ timer: WINDOW, delayMs: 60_000 }],
    });
  });

  it('skips XState when neither state has timers, and answers undefined when nothing changes', () => {
    expect(timers.change('delivered', row, { type: 'SHIP' }, 'delivered')).toBeUndefined();
    expect(timers.change('paid', row, { type: 'PAY', amount: 1 })).toBeUndefined();
    expect(timers.hasTimers('pending')).toBe(true);
    expect(timers.hasTimers('paid')).toBe(false);
    // Entering `pending` needs the row (its delay reads context); `shipped`'s is a number.
    expect(timers.delayReadsContext('pending')).toBe(true);
    expect(timers.delayReadsContext('shipped')).toBe(false);
    expect(timers.hasTimers('shipped')).toBe(true);
  });

  it('arms a created row: its state timers, the delay from its context', () => {
    expect(timers.initialState()).toBe('pending');
    expect(timers.initial('pending', row)).toEqual({
      disarm: [],
      arm: [{ timer: WINDOW, delayMs: 30_000 }],
    });
    expect(timers.initial('paid', row)).toBeUndefined();
  });

  it('fires a due timer where it leads, and not when its state was left or its guard refuses', () => {
    expect(timers.fire('pending', row, WINDOW)).toEqual({ to: 'expired' });
    expect(timers.fire('pending', { ...row, paid: 100 }, WINDOW)).toBeUndefined();
    expect(timers.fire('paid', row, WINDOW)).toBeUndefined();
    expect(timers.fire('pending', row, 'PAY')).toBeUndefined();
  });

  it('arms timers even when the machine actions cannot run on the context given', () => {
    // SHIP's action throws: XState's timers do not depend on it.
    expect(timers.change('paid', undefined, { type: 'SHIP' }, 'shipped')).toEqual({
      disarm: [],
      arm: [{ timer: 'xstate.after.5000.order.shipped', delayMs: 5000 }],
    });
  });
});
