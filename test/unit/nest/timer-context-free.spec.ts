import 'reflect-metadata';
import { setup } from 'xstate';
import { TransitionRegistry } from '../../../src/nest/definition/transition-registry.js';
import { MemoryTransitionStore } from '../../../src/index.js';

/**
 * The guard's one-statement commit does not read the row: it may enter a state whose timers have
 * fixed delays, not one whose delay is a function of the row (the delay would read nothing).
 */
const machine = setup({
  types: {} as { context: { windowMs: number }; events: { type: 'PAY' } | { type: 'REOPEN' } },
  delays: { PAYMENT_WINDOW: ({ context }) => context.windowMs },
}).createMachine({
  id: 'invoice',
  initial: 'open',
  context: { windowMs: 1000 },
  states: {
    open: { after: { PAYMENT_WINDOW: 'expired' }, on: { PAY: 'paid' } },
    paid: { after: { 86_400_000: 'archived' }, on: { REOPEN: 'open' } },
    expired: {},
    archived: {},
  },
});

describe('the one-statement commit and timers', () => {
  const registry = new TransitionRegistry();
  const entry = registry.register(
    { resource: 'invoice', machine },
    { store: new MemoryTransitionStore() },
  );

  it('commits without reading the row into a state whose delays are numbers', () => {
    expect(entry.contextFree('PAY')).toEqual({
      transitions: [{ from: 'open', to: 'paid' }],
      roles: [],
    });
  });

  it('refuses it into a state whose delay reads the row, saying why', () => {
    expect(entry.contextFree('REOPEN')).toEqual({
      why: "entering 'open' arms a timer whose delay reads context",
    });
  });
});
