import { assign, setup, stateIn } from 'xstate';
import { z } from 'zod';

export interface TicketContext {
  /** Minutes left before the SLA is breached. */
  minutesLeft: number;
  /** Replies sent so far. */
  replies: number;
}

export type TicketEvent =
  | { type: 'ASSIGN'; agent: string }
  | { type: 'REPLY' }
  | { type: 'WAIT_FOR_CUSTOMER' }
  | { type: 'CUSTOMER_REPLIED' }
  | { type: 'RESOLVE' }
  | { type: 'REOPEN' }
  | { type: 'CLOSE' }
  | { type: 'SLA_WARN' }
  | { type: 'SLA_BREACH' }
  | { type: 'SLA_PAUSE' }
  | { type: 'SLA_RESUME' };

/**
 * A support ticket with two parallel regions: its `status` and its `sla` clock. Events bubble to
 * the root (`CLOSE` from anywhere once resolved), and guards look across regions with `stateIn`.
 */
export const ticketMachine = setup({
  types: {} as { context: TicketContext; events: TicketEvent },
  schemas: { events: { ASSIGN: z.object({ agent: z.string().min(1).max(100) }) } },
  guards: {
    timeLeft: ({ context }) => context.minutesLeft > 0,
  },
  actions: {
    countReply: assign({ replies: ({ context }) => context.replies + 1 }),
  },
}).createMachine({
  id: 'ticket',
  type: 'parallel',
  context: { minutesLeft: 240, replies: 0 },
  on: {
    // Targetless: allowed, the state stays, the reply is counted.
    REPLY: { actions: 'countReply' },
    CLOSE: { target: '.status.closed', guard: stateIn({ status: 'resolved' }) },
  },
  states: {
    status: {
      initial: 'new',
      states: {
        // Forbidden: a new ticket cannot be replied to before someone is assigned.
        new: { on: { ASSIGN: 'open', REPLY: {} } },
        open: {
          initial: 'working',
          states: {
            working: { on: { WAIT_FOR_CUSTOMER: 'waiting' } },
            waiting: { on: { CUSTOMER_REPLIED: 'working' } },
          },
          on: { RESOLVE: 'resolved' },
        },
        resolved: { on: { REOPEN: 'open' } },
        closed: { type: 'final' },
      },
    },
    sla: {
      initial: 'running',
      states: {
        running: {
          on: {
            SLA_WARN: { target: 'warning', guard: 'timeLeft' },
            SLA_BREACH: 'breached',
            SLA_PAUSE: { target: 'paused', guard: stateIn('#ticket.status.open.waiting') },
          },
        },
        warning: { on: { SLA_BREACH: 'breached', SLA_PAUSE: 'paused' } },
        paused: { on: { SLA_RESUME: 'running' } },
        breached: { type: 'final' },
      },
    },
  },
});

export default ticketMachine;
