import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createValidator,
  loadMachineDefinitionFile,
  machineFromDefinition,
  MachineDefinitionError,
  MachineTimers,
} from '../../../src/core/index.js';
import {
  articleImplementations,
  articleMachine,
} from '../../../machines/article.implementations.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/machines');
const impl = { guards: { known: () => true } };

function issuesOf(file: string) {
  try {
    loadMachineDefinitionFile(join(fixtures, file), impl);
  } catch (err) {
    expect(err).toBeInstanceOf(MachineDefinitionError);
    const e = err as MachineDefinitionError;
    expect(e.message).toContain(file);
    return e;
  }
  throw new Error(`${file} loaded, but it is broken`);
}

describe('JSON machine definitions', () => {
  it('loads the article workflow with payload schemas from JSON Schema', () => {
    const articles = createValidator(articleMachine);
    expect(articles.events).toContain('REQUEST_CHANGES');
    expect(
      articles.check({ state: 'review.in_review' }, { type: 'REQUEST_CHANGES' }),
    ).toMatchObject({
      reason: 'invalid-payload',
      issues: [{ path: ['comment'] }],
    });
    expect(
      articles.check(
        { state: 'review.in_review' },
        {
          type: 'REQUEST_CHANGES',
          comment: 'tighten',
        },
      ),
    ).toMatchObject({
      allowed: true,
      to: 'review.changes_requested',
    });
    expect(
      articles.check({ state: 'draft', context: { wordCount: 0, legalHold: false } }, 'SUBMIT'),
    ).toMatchObject({
      reason: 'guard-rejected',
      blockedBy: ['hasContent'],
    });
  });

  it('refuses an unknown target with its JSON path and the fix', () => {
    const e = issuesOf('unknown-target.machine.json');
    expect(e.issues).toEqual([
      expect.objectContaining({
        code: 'unknown-target',
        path: ['states', 'a', 'on', 'GO', 'target'],
      }),
    ]);
    expect(e.message).toMatch(
      /states\.a\.on\.GO\.target: unknown target 'shiped'.*states there: a, b.*Fix the target or add the state/,
    );
  });

  it('refuses a guard name with no implementation, inside composite guards too', () => {
    const e = issuesOf('unknown-guard.machine.json');
    expect(e.issues).toEqual([
      expect.objectContaining({
        code: 'unknown-guard',
        path: ['states', 'a', 'on', 'GO', 0, 'guard'],
      }),
    ]);
    expect(e.message).toMatch(/guard 'paidInFul' has no implementation \(known: known\)/);
  });

  it('refuses duplicate ids', () => {
    expect(issuesOf('duplicate-id.machine.json').issues).toEqual([
      expect.objectContaining({ code: 'duplicate-id', path: ['states', 'b', 'id'] }),
    ]);
  });

  it('refuses __proto__, constructor and prototype keys anywhere', () => {
    expect(issuesOf('proto-key.machine.json').issues).toEqual([
      expect.objectContaining({ code: 'forbidden-key', path: ['states', 'a', 'on', '__proto__'] }),
    ]);
    expect(() =>
      machineFromDefinition({ id: 'x', initial: 'a', states: { a: { meta: { constructor: 1 } } } }),
    ).toThrow(/states\.a\.meta\.constructor: the key 'constructor' is not allowed/);
  });

  it('refuses wrong types with the path', () => {
    const e = issuesOf('wrong-type.machine.json');
    expect(e.issues[0]).toMatchObject({ code: 'schema', path: ['states', 'a', 'on', 'GO'] });
  });

  it('refuses a compound state without initial and says what to add', () => {
    expect(issuesOf('missing-initial.machine.json').message).toMatch(
      /has no initial state; add \{ "initial": "a" \}/,
    );
  });

  it('refuses a file that does not parse or does not exist, naming it', () => {
    expect(issuesOf('syntax.machine.json').issues[0]).toMatchObject({ code: 'invalid-json' });
    expect(issuesOf('nope.machine.json').issues[0]).toMatchObject({
      code: 'invalid-json',
      message: 'file not found',
    });
  });

  it('turns composite guards into XState guards', () => {
    const { machine } = machineFromDefinition(
      {
        id: 'c',
        initial: 'a',
        states: {
          a: {
            on: { GO: { target: 'b', guard: { or: [{ not: 'known' }, { stateIn: '#c.a' }] } } },
          },
          b: {},
        },
      },
      impl,
    );
    expect(createValidator(machine).check({ state: 'a' }, 'GO')).toMatchObject({
      allowed: true,
      to: 'b',
    });
  });

  it('keeps the implementations given for the file', () => {
    expect(Object.keys(articleImplementations.guards)).toEqual(['hasContent', 'underLegalHold']);
  });
});

describe('JSON machine definitions: after', () => {
  const definition = {
    id: 'invoice',
    initial: 'open',
    states: {
      open: {
        after: { PAYMENT_WINDOW: 'expired', '86400000': { target: 'expired' } },
        on: { PAY: 'paid' },
      },
      paid: {},
      expired: { type: 'final' },
    },
  };

  it('takes after with milliseconds and named delays, as durable timers read them', () => {
    const { machine } = machineFromDefinition(definition, {
      delays: { PAYMENT_WINDOW: ({ context }) => Number(context.windowMs) },
    });
    const timers = new MachineTimers(machine);
    expect(timers.readsContext).toBe(true);
    expect(timers.initial('open', { windowMs: 1500 })).toEqual({
      disarm: [],
      // (A JavaScript object lists integer keys first.)
      arm: [
        { timer: 'xstate.after.86400000.invoice.open', delayMs: 86_400_000 },
        { timer: 'xstate.after.PAYMENT_WINDOW.invoice.open', delayMs: 1500 },
      ],
    });
    expect(timers.fire('open', {}, 'xstate.after.86400000.invoice.open')).toEqual({
      to: 'expired',
    });
  });

  it('refuses a named delay with no implementation, an unknown target, a key that is no delay', () => {
    const broken = {
      ...definition,
      states: {
        ...definition.states,
        open: { after: { PAYMENT_WINDOW: 'expried', 'in an hour': 'expired' } },
      },
    };
    let error: MachineDefinitionError | undefined;
    try {
      machineFromDefinition(broken, {}, 'invoice.machine.json');
    } catch (err) {
      error = err as MachineDefinitionError;
    }
    expect(error?.issues.map((i) => [i.code, i.path.join('.')])).toEqual([
      ['schema', 'states.open.after.in an hour'],
    ]);
    const named = {
      ...broken,
      states: { ...broken.states, open: { after: { PAYMENT_WINDOW: 'expried' } } },
    };
    try {
      machineFromDefinition(named, {}, 'invoice.machine.json');
    } catch (err) {
      error = err as MachineDefinitionError;
    }
    expect(error?.issues.map((i) => [i.code, i.path.join('.')])).toEqual([
      ['unknown-delay', 'states.open.after.PAYMENT_WINDOW'],
      ['unknown-target', 'states.open.after.PAYMENT_WINDOW.target'],
    ]);
    expect(error?.message).toContain(
      "delay 'PAYMENT_WINDOW' has no implementation (known: none); pass it in the delays given to the loader",
    );
  });
});
