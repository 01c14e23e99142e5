import { createMachine, transition, type AnyStateMachine } from 'xstate';
import { createValidator } from '../../../src/core/index.js';
import { toStateValue, toStoredState } from '../../../src/core/state-value.js';
import { orderMachine } from '../../../machines/order.machine.js';
import { ticketMachine } from '../../../machines/ticket.machine.js';
import { trackedOrderMachine } from '../../support/tracked-order.machine.js';

/** A nested machine: compound states stored as their leaf, an event handled on the parent. */
const nested = createMachine({
  id: 'doc',
  initial: 'draft',
  states: {
    draft: {
      initial: 'editing',
      on: { ARCHIVE: 'archived' },
      states: { editing: { on: { SUBMIT: 'review' } }, review: { on: { REJECT: 'editing' } } },
    },
    archived: { on: { RESTORE: 'draft' } },
  },
});

/**
 * What `contextFree` promises, judged by XState itself: from every state it lists, XState takes
 * the event to the target it gives, whatever the context; from every other state, XState refuses.
 */
function judge(machine: AnyStateMachine, contexts: readonly object[]) {
  const v = createValidator(machine);
  const states = v.states.filter((s) => v.normalizeState(s) === s);
  let judged = 0;
  for (const event of v.events) {
    const free = v.contextFree(event);
    if ('why' in free) continue;
    for (const state of states) {
      const listed = free.transitions.find((t) => t.from === state);
      for (const context of contexts) {
        const snapshot = machine.resolveState({ value: toStateValue(state), context });
        const can = snapshot.can({ type: event } as never);
        expect([state, event, can]).toEqual([state, event, listed !== undefined]);
        if (!listed) continue;
        const [next] = transition(machine, snapshot, { type: event } as never);
        expect(toStoredState(next.value)).toEqual(listed.to);
        judged++;
      }
    }
  }
  return judged;
}

describe('TransitionValidator.contextFree, judged by XState', () => {
  it('lists the transitions of the order machine that no guard decides', () => {
    const v = createValidator(orderMachine);
    expect(v.contextFree('CANCEL')).toEqual({
      transitions: [
        { from: 'pending', to: 'cancelled' },
        { from: 'paid', to: 'cancelled' },
      ],
      roles: [],
    });
    expect(v.contextFree('PAY')).toEqual({
      why: "guard 'coversBalance' decides it in state 'pending'",
    });
    expect(v.contextFree('NOPE')).toEqual({ why: "the machine declares no event 'NOPE'" });
    const contexts = [
      { total: 100, paid: 0 },
      { total: 100, paid: 100 },
    ];
    expect(judge(orderMachine, contexts)).toBeGreaterThan(0);
    expect(judge(trackedOrderMachine, contexts)).toBeGreaterThan(0);
  });

  it('stores nested states as their leaf and finds events on parents', () => {
    const v = createValidator(nested);
    expect(v.contextFree('ARCHIVE')).toEqual({
      transitions: [
        { from: 'draft.editing', to: 'archived' },
        { from: 'draft.review', to: 'archived' },
      ],
      roles: [],
    });
    expect(v.contextFree('RESTORE')).toEqual({
      transitions: [{ from: 'archived', to: 'draft.editing' }],
      roles: [],
    });
    expect(judge(nested, [{}])).toBe(5);
  });

  it('declines parallel machines: their state is not one column', () => {
    const v = createValidator(ticketMachine);
    for (const event of v.events) expect(v.contextFree(event)).toHaveProperty('why');
  });
});
