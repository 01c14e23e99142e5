import { assign, createMachine, setup, transition } from 'xstate';
import { createValidator } from '../../../src/core/index.js';

/** A machine whose actions read a payload, as machines written by others often do. */
const counter = setup({
  types: {} as {
    context: { n: number };
    events: { type: 'ADD'; payload?: { n: number } } | { type: 'RESET' };
  },
  actions: {
    add: assign({
      n: ({ context, event }) => context.n + (event as { payload: { n: number } }).payload.n,
    }),
  },
}).createMachine({
  id: 'counter',
  initial: 'idle',
  context: { n: 0 },
  states: {
    idle: { on: { ADD: { target: 'counted', actions: 'add' }, RESET: 'idle' } },
    counted: { on: { ADD: { actions: 'add' }, RESET: 'idle' } },
  },
});

describe('the core never throws for a legal question', () => {
  it('explains an event whose actions need its payload, the same before and after a check with one', () => {
    const fresh = () => createValidator(counter);
    const before = fresh().explain({ state: 'idle', context: { n: 0 } });
    expect(before).toEqual([
      { event: 'ADD', allowed: true, to: 'counted' },
      { event: 'RESET', allowed: true, to: 'idle' },
    ]);
    const v = fresh();
    expect(
      v.check({ state: 'idle', context: { n: 0 } }, { type: 'ADD', payload: { n: 2 } }),
    ).toMatchObject({ allowed: true, to: 'counted' });
    expect(v.explain({ state: 'idle', context: { n: 0 } })).toEqual(before);
    expect(v.allowedEvents({ state: 'counted', context: { n: 2 } })).toEqual(['ADD', 'RESET']);
  });

  it('answers a bare check as XState does without actions, and a full one as XState does', () => {
    const v = createValidator(counter);
    expect(v.check({ state: 'idle', context: { n: 0 } }, 'ADD')).toMatchObject({
      allowed: true,
      to: 'counted',
    });
    const snapshot = counter.resolveState({ value: 'idle', context: { n: 0 } });
    const [next] = transition(counter, snapshot, { type: 'ADD', payload: { n: 3 } } as never);
    expect(
      v.check({ state: 'idle', context: { n: 0 } }, { type: 'ADD', payload: { n: 3 } }).allowed &&
        next.value,
    ).toBe('counted');
  });

  it('supports machines with root-level handlers only: their state is {}', () => {
    const ping = createMachine({
      id: 'ping',
      on: { PING: { actions: () => undefined }, NOOP: {} },
    });
    const v = createValidator(ping);
    expect(v.check({ state: {} }, 'PING')).toEqual({
      allowed: true,
      event: 'PING',
      from: {},
      to: {},
    });
    expect(v.check({ state: {} }, 'NOOP')).toMatchObject({ allowed: false, reason: 'forbidden' });
    expect(v.allowedEvents({ state: {} })).toEqual(['PING']);
    expect(() => v.check({ state: 'anything' }, 'PING')).toThrow(/not a state of machine 'ping'/);
  });
});
