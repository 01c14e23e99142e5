import fc from 'fast-check';
import { transition, type AnyMachineSnapshot } from 'xstate';
import { createValidator, type StoredState } from '../../src/core/index.js';
import { toStateValue, toStoredState } from '../../src/core/state-value.js';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { EVENT_TYPES, randomMachine, randomStateValue } from './random-machine.js';

/**
 * The judge of the validator's semantics is XState itself: on random machines, stored states,
 * contexts and events, `check` must agree with `snapshot.can(event)` (allowed or not, with a
 * done machine refusing everything as a running actor would) and with `transition()` for `to`.
 */
const RUNS = 250;
const CASES_PER_MACHINE = 48;

const caseArb = fc.record({
  picks: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
  context: fc.record({ a: fc.integer({ min: 0, max: 6 }), b: fc.integer({ min: 0, max: 6 }) }),
  type: fc.constantFrom(...EVENT_TYPES, 'x', 'x.y.z', 'Q', 'y.x'),
  flag: fc.option(fc.boolean(), { nil: undefined }),
  asObject: fc.boolean(),
});

const same = (a: StoredState, b: StoredState) =>
  canonicalJson(toStateValue(a)) === canonicalJson(toStateValue(b));

describe('check() agrees with XState on random machines', () => {
  it(`holds on ${RUNS * CASES_PER_MACHINE} cases`, () => {
    let cases = 0;
    let allowed = 0;
    let loops = 0;
    const reasons = new Map<string, number>();
    fc.assert(
      fc.property(
        fc.integer(),
        fc.array(caseArb, { minLength: CASES_PER_MACHINE, maxLength: CASES_PER_MACHINE }),
        (seed, list) => {
          const { machine } = randomMachine(seed);
          const validator = createValidator(machine);
          for (const c of list) {
            cases++;
            const value = randomStateValue(machine, c.picks);
            const snapshot = machine.resolveState({
              value,
              context: c.context,
            }) as AnyMachineSnapshot;
            const event = c.flag === undefined ? { type: c.type } : { type: c.type, flag: c.flag };
            const stored = toStoredState(snapshot.value);
            const input = { state: stored, context: c.context };
            const expectedAllowed = snapshot.status !== 'done' && snapshot.can(event);
            let expectedTo: StoredState | undefined;
            let xstateThrew = false;
            if (expectedAllowed) {
              try {
                expectedTo = toStoredState(transition(machine, snapshot, event)[0].value);
              } catch {
                xstateThrew = true;
              }
            }
            if (xstateThrew) {
              loops++;
              expect(() => validator.check(input, event)).toThrow();
              continue;
            }
            const result = validator.check(
              input,
              c.asObject || c.flag !== undefined ? event : c.type,
            );
            expect(same(result.from, stored)).toBe(true);
            if (result.allowed !== expectedAllowed) {
              throw new Error(
                `seed ${seed}: ${JSON.stringify(stored)} + ${JSON.stringify(event)} ctx ${JSON.stringify(c.context)}: ` +
                  `xstate says ${expectedAllowed}, validator ${JSON.stringify(result)}`,
              );
            }
            if (result.allowed) {
              allowed++;
              if (!same(result.to, expectedTo!)) {
                throw new Error(
                  `seed ${seed}: ${JSON.stringify(stored)} + ${JSON.stringify(event)} ctx ${JSON.stringify(c.context)}: ` +
                    `xstate goes to ${JSON.stringify(expectedTo)}, validator to ${JSON.stringify(result.to)}`,
                );
              }
            } else {
              reasons.set(result.reason, (reasons.get(result.reason) ?? 0) + 1);
              if (snapshot.status === 'done' && result.reason !== 'unknown-event') {
                expect(result.reason).toBe('final-state');
              }
              // allowedEvents lists exactly the declared events XState accepts (bare events).
              const accepted =
                snapshot.status === 'done'
                  ? []
                  : validator.events.filter((e) => snapshot.can({ type: e }));
              expect([...result.allowedEvents]).toEqual(accepted);
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
    // The generator must exercise both outcomes and every structural reason, or it proves little.
    expect(cases).toBeGreaterThanOrEqual(10_000);
    expect(allowed).toBeGreaterThan(cases * 0.1);
    for (const reason of [
      'unknown-event',
      'no-transition',
      'guard-rejected',
      'forbidden',
      'final-state',
    ]) {
      expect(reasons.get(reason) ?? 0).toBeGreaterThan(0);
    }
    console.log(
      `property: ${cases} cases, ${allowed} allowed, ${loops} XState loop errors, refusals ${JSON.stringify(Object.fromEntries(reasons))}`,
    );
  });
});

describe('contextFree() agrees with XState on random machines', () => {
  it('lists exactly the states XState takes the event from, whatever the context, and where to', () => {
    let listed = 0;
    let declined = 0;
    fc.assert(
      fc.property(
        fc.integer(),
        fc.array(
          fc.record({ a: fc.integer({ min: 0, max: 6 }), b: fc.integer({ min: 0, max: 6 }) }),
          {
            minLength: 4,
            maxLength: 4,
          },
        ),
        (seed, contexts) => {
          const { machine } = randomMachine(seed);
          const validator = createValidator(machine);
          const states = validator.states.filter((s) => {
            try {
              return validator.normalizeState(s) === s;
            } catch {
              return false;
            }
          });
          for (const type of validator.events) {
            const free = validator.contextFree(type);
            if ('why' in free) {
              declined++;
              continue;
            }
            for (const state of states) {
              const from = free.transitions.find((t) => same(t.from, state));
              for (const context of contexts) {
                const snapshot = machine.resolveState({
                  value: toStateValue(state),
                  context,
                }) as AnyMachineSnapshot;
                const can = snapshot.status !== 'done' && snapshot.can({ type });
                if (can !== (from !== undefined)) {
                  throw new Error(
                    `seed ${seed}: ${state} + ${type} ctx ${JSON.stringify(context)}: xstate says ${can}, contextFree ${JSON.stringify(free)}`,
                  );
                }
                if (!from) continue;
                listed++;
                const to = toStoredState(transition(machine, snapshot, { type })[0].value);
                expect([seed, state, type, same(to, from.to)]).toEqual([seed, state, type, true]);
              }
            }
          }
        },
      ),
      { numRuns: RUNS * 4 },
    );
    // Both answers must occur, or the property proves little.
    expect(listed).toBeGreaterThan(400);
    expect(declined).toBeGreaterThan(100);
    console.log(
      `contextFree property: ${listed} listed transitions judged, ${declined} events declined`,
    );
  });
});
