import { and, createMachine, not, or, setup, stateIn } from 'xstate';
import { createValidator } from '../../../src/core/index.js';
import { ticketMachine } from '../../../machines/ticket.machine.js';

const tickets = createValidator(ticketMachine);
const ctx = { minutesLeft: 60, replies: 0 };

describe('parallel regions (ticket)', () => {
  it('takes state value objects and answers per region', () => {
    expect(
      tickets.check(
        { state: { status: 'new', sla: 'running' }, context: ctx },
        { type: 'ASSIGN', agent: 'ann' },
      ),
    ).toEqual({
      allowed: true,
      event: 'ASSIGN',
      from: { status: 'new', sla: 'running' },
      to: { status: { open: 'working' }, sla: 'running' },
    });
  });

  it('reports a forbidden transition: it stops the event bubbling to the root', () => {
    expect(
      tickets.check({ state: { status: 'new', sla: 'running' }, context: ctx }, 'REPLY'),
    ).toMatchObject({
      allowed: false,
      reason: 'forbidden',
    });
  });

  it('allows a targetless transition and keeps the state', () => {
    const state = { status: { open: 'working' }, sla: 'running' };
    expect(tickets.check({ state, context: ctx }, 'REPLY')).toMatchObject({
      allowed: true,
      to: state,
    });
  });

  it('lets events bubble to the root and checks stateIn guards across regions', () => {
    const resolved = { state: { status: 'resolved', sla: 'running' }, context: ctx };
    expect(tickets.check(resolved, 'CLOSE')).toMatchObject({
      allowed: true,
      to: { status: 'closed', sla: 'running' },
    });
    const open = { state: { status: { open: 'working' }, sla: 'running' }, context: ctx };
    expect(tickets.check(open, 'CLOSE')).toMatchObject({
      reason: 'guard-rejected',
      blockedBy: ['stateIn({"status":"resolved"})'],
    });
    expect(tickets.check(open, 'SLA_PAUSE')).toMatchObject({
      blockedBy: ['stateIn(#ticket.status.open.waiting)'],
    });
    const waiting = { state: { status: { open: 'waiting' }, sla: 'running' }, context: ctx };
    expect(tickets.check(waiting, 'SLA_PAUSE')).toMatchObject({ allowed: true });
  });

  it('fills partial values and compound states as XState resolves them', () => {
    expect(tickets.normalizeState({ status: 'open' })).toEqual({
      status: { open: 'working' },
      sla: 'running',
    });
    expect(tickets.normalizeState('status.open.waiting')).toEqual({
      status: { open: 'waiting' },
      sla: 'running',
    });
  });

  it('is not done until every region is final', () => {
    expect(
      tickets.check({ state: { status: 'closed', sla: 'running' }, context: ctx }, 'SLA_BREACH'),
    ).toMatchObject({
      allowed: true,
    });
    expect(
      tickets.check({ state: { status: 'closed', sla: 'breached' }, context: ctx }, 'REOPEN'),
    ).toMatchObject({
      reason: 'final-state',
    });
  });
});

describe('nested states', () => {
  const machine = createMachine({
    id: 'shipment',
    initial: 'shipping',
    states: {
      shipping: {
        initial: 'preparing',
        on: { LOSE: 'lost' },
        states: {
          preparing: { on: { DISPATCH: 'in_transit' } },
          in_transit: { on: { ARRIVE: '#shipment.delivered' } },
        },
      },
      delivered: { type: 'final' },
      lost: {},
    },
  });
  const v = createValidator(machine);

  it('takes dotted paths and returns dotted paths', () => {
    expect(v.check({ state: 'shipping.in_transit' }, 'ARRIVE')).toEqual({
      allowed: true,
      event: 'ARRIVE',
      from: 'shipping.in_transit',
      to: 'delivered',
    });
    expect(v.check({ state: 'shipping.preparing' }, 'DISPATCH')).toMatchObject({
      to: 'shipping.in_transit',
    });
  });

  it('bubbles events to ancestors', () => {
    expect(v.check({ state: 'shipping.in_transit' }, 'LOSE')).toMatchObject({
      allowed: true,
      to: 'lost',
    });
  });

  it('resolves a compound state to its initial child', () => {
    expect(v.check({ state: 'shipping' }, 'DISPATCH')).toMatchObject({
      from: 'shipping.preparing',
      allowed: true,
    });
  });
});

describe('guards', () => {
  const machine = setup({
    types: {},
    guards: {
      big: ({ context }) => context.n > 10,
      vip: ({ context }) => context.vip,
      atLeast: ({ context }, params: { min: number }) => context.n >= params.min,
      combo: and(['big', 'vip']),
      explodes: () => {
        throw new Error('database gone');
      },
    },
  }).createMachine({
    id: 'g',
    initial: 'outer',
    context: { n: 0, vip: false },
    states: {
      outer: {
        initial: 'inner',
        on: { GO: { target: 'done', guard: or(['vip', not('big')]) } },
        states: {
          inner: {
            on: {
              GO: [
                { target: '#g.done', guard: 'combo' },
                { target: '#g.done', guard: { type: 'atLeast', params: { min: 50 } } },
              ],
              STOP: { target: '#g.done', guard: 'explodes' },
            },
          },
        },
      },
      done: { on: { GO: { target: 'outer', guard: stateIn('#g.outer') } } },
    },
  });
  const v = createValidator(machine);

  it('lists every guard that refused, across the ancestors, not just the first', () => {
    expect(v.check({ state: 'outer.inner', context: { n: 20, vip: false } }, 'GO')).toMatchObject({
      reason: 'guard-rejected',
      blockedBy: ['combo', 'atLeast', 'or(vip, not(big))'],
    });
  });

  it('uses guard params and falls through to the first guard that passes', () => {
    expect(v.check({ state: 'outer.inner', context: { n: 70, vip: false } }, 'GO')).toMatchObject({
      allowed: true,
      to: 'done',
    });
    expect(v.check({ state: 'outer.inner', context: { n: 7, vip: false } }, 'GO')).toMatchObject({
      allowed: true,
      to: 'done',
    });
    expect(v.check({ state: 'outer.inner', context: { n: 20, vip: true } }, 'GO')).toMatchObject({
      allowed: true,
    });
  });

  it('turns a throwing guard into a GuardEvaluationError in check, and a refusal in explain', () => {
    expect(() => v.check({ state: 'outer.inner', context: { n: 0, vip: false } }, 'STOP')).toThrow(
      /Guard 'explodes' threw while checking STOP in state 'outer.inner': database gone/,
    );
    expect(v.explain({ state: 'outer.inner', context: { n: 0, vip: false } })).toContainEqual({
      event: 'STOP',
      allowed: false,
      reason: 'guard-rejected',
      blockedBy: ['explodes'],
    });
  });

  it('refuses at creation a guard name that has no implementation', () => {
    const broken = createMachine({
      id: 'b',
      initial: 'a',
      states: { a: { on: { GO: { target: 'a', guard: 'missing' } } } },
    });
    expect(() => createValidator(broken)).toThrow(
      /guard 'missing' is not implemented\. Provide it in setup\(\{ guards/,
    );
  });
});

describe('eventless transitions, wildcards', () => {
  const machine = setup({
    types: {},
    guards: { high: ({ context }) => context.score > 5 },
  }).createMachine({
    id: 'w',
    initial: 'idle',
    context: { score: 0 },
    states: {
      idle: { on: { 'order.*': 'routing', '*': 'other' } },
      routing: { always: [{ target: 'fast', guard: 'high' }, { target: 'slow' }] },
      fast: {},
      slow: {},
      other: {},
    },
  });
  const v = createValidator(machine);

  it('follows eventless transitions to the end of the macrostep', () => {
    expect(v.check({ state: 'idle', context: { score: 9 } }, 'order.placed')).toMatchObject({
      to: 'fast',
    });
    expect(v.check({ state: 'idle', context: { score: 1 } }, 'order.placed')).toMatchObject({
      to: 'slow',
    });
  });

  it('matches partial and full wildcards as XState does', () => {
    expect(v.check({ state: 'idle' }, 'order')).toMatchObject({ to: 'slow' });
    expect(v.check({ state: 'idle' }, 'anything')).toMatchObject({ to: 'other' });
    expect(v.check({ state: 'fast' }, 'anything')).toMatchObject({ reason: 'no-transition' });
  });

  it('never lets a client send XState internal events', () => {
    expect(v.check({ state: 'idle' }, 'xstate.done.state.w')).toMatchObject({
      reason: 'unknown-event',
    });
  });
});
