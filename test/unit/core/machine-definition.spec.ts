import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createValidator,
  loadMachineDefinitionFile,
  machineFromDefinition,
  MachineDefinitionError,
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
