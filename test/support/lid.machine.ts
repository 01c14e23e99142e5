import { createMachine } from 'xstate';

/** The smallest machine with two events: the outbox suites' resources (letters, parcels, lids). */
export const lidMachine = createMachine({
  id: 'lid',
  initial: 'closed',
  states: { closed: { on: { OPEN: 'open' } }, open: { on: { CLOSE: 'closed' } } },
});
