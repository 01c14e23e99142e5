import fc from 'fast-check';
import { createActor, SimulatedClock, type StateValue } from 'xstate';
import { MachineTimers, type StoredState } from '../../src/core/index.js';
import { toStoredState } from '../../src/core/state-value.js';
import { EVENTS, randomTimedMachine } from './random-timed-machine.js';

/**
 * The timers a store keeps are the timers XState's own interpreter schedules. Random machines
 * (nested and parallel states, `after` with numbers and a named delay that reads context,
 * `reenter`, guards on context) are walked at random: each step sends an event or lets the
 * soonest timer fire. Beside the interpreter (a simulated clock), a table of timers is kept as
 * the library keeps it: each commit applies `MachineTimers.change()` from the stored state, each
 * firing removes the fired timer, takes `fire()`'s target, then applies the change. After every
 * step, the table holds exactly the interpreter's scheduled events, with the same due times.
 */
/** Timer ids and their delays (XState's scheduler dates them by the wall clock, not the simulated one). */
type Scheduled = Map<string, number>;

function xstateScheduled(actor: { system: unknown }): Scheduled {
  const snapshot = (actor.system as { getSnapshot(): { _scheduledEvents: object } }).getSnapshot();
  const events = Object.values(snapshot._scheduledEvents) as { id: string; delay: number }[];
  return new Map(events.map((e) => [e.id, e.delay]));
}

/** The library's table: each timer's delay and due time on the simulated clock. */
class Table {
  readonly rows = new Map<string, { delay: number; due: number }>();
  arm(timer: string, delay: number, now: number): void {
    this.rows.set(timer, { delay, due: now + delay });
  }
  delays(): Scheduled {
    return new Map([...this.rows].map(([id, r]) => [id, r.delay]));
  }
  soonest(): [string, number] | undefined {
    const [first] = [...this.rows].sort((x, y) => x[1].due - y[1].due);
    return first && [first[0], first[1].due];
  }
}

describe('MachineTimers against XState', () => {
  it('keeps exactly the timers XState schedules, with the same due times', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 5, maxLength: 30 }),
        (seed, steps) => {
          const machine = randomTimedMachine(seed);
          const timers = new MachineTimers(machine);
          const clock = new SimulatedClock();
          const actor = createActor(machine, { clock }).start();
          const context = actor.getSnapshot().context as object;
          let state: StoredState = toStoredState(actor.getSnapshot().value as StateValue);
          // The library's table: a created row's timers, armed by `initial()`.
          const table = new Table();
          const now = () => clock.now();
          for (const a of timers.initial(state, context)?.arm ?? []) {
            table.arm(a.timer, a.delayMs, now());
          }
          expect(table.delays()).toEqual(xstateScheduled(actor));
          for (const step of steps) {
            if (actor.getSnapshot().status !== 'active') break;
            const due = table.soonest();
            if (step < 30 && due) {
              // The clock moves to the soonest timer: XState fires every timer due then, in the
              // order they were armed, as the loop claims them (due time, then row id).
              const at = due[1];
              clock.increment(at - now());
              for (let next = table.soonest(); next && next[1] <= at; next = table.soonest()) {
                const [timer] = next;
                const fired = timers.fire(state, context, timer);
                const change = timers.change(state, context, { type: timer });
                table.rows.delete(timer);
                if (fired) {
                  for (const id of change?.disarm ?? []) table.rows.delete(id);
                  for (const a of change?.arm ?? []) table.arm(a.timer, a.delayMs, now());
                  state = fired.to;
                }
              }
            } else {
              const type = EVENTS[step % EVENTS.length];
              const next = (() => {
                actor.send({ type });
                return toStoredState(actor.getSnapshot().value as StateValue);
              })();
              const change = timers.change(state, context, { type }, next);
              for (const id of change?.disarm ?? []) table.rows.delete(id);
              for (const a of change?.arm ?? []) table.arm(a.timer, a.delayMs, now());
            }
            state = toStoredState(actor.getSnapshot().value as StateValue);
            expect([seed, table.delays()]).toEqual([seed, xstateScheduled(actor)]);
          }
          actor.stop();
        },
      ),
      { numRuns: 300 },
    );
  });
});
