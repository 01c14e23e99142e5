import { readFileSync } from 'node:fs';
import {
  anyInPublicDeclarations,
  collectApi,
  reportFile,
  reportText,
  unnameableTypes,
} from '../../scripts/api-report.js';

// One TypeScript program for the whole suite: building it takes a few seconds.
const api = collectApi();

describe('the public API', () => {
  it.each(Object.keys(api))(
    'of %s matches its committed report (npm run api:report)',
    (subpath) => {
      const committed = readFileSync(reportFile(subpath), 'utf8');
      expect(reportText(subpath, api[subpath])).toBe(committed);
    },
  );

  it('gives every public function and class a TSDoc @example', () => {
    const missing = Object.values(api)
      .flat()
      .filter((e) => e.callable && !e.hasExample)
      .map((e) => `${e.name} (${e.file})`);
    expect(missing).toEqual([]);
  });

  it('says `any` nowhere in the declaration files the entry points reach', () => {
    expect(anyInPublicDeclarations()).toEqual([]);
  });

  it('keeps the root small: what an app uses, under 80 names', () => {
    expect(api['.'].length).toBeLessThan(80);
  });

  it('exports each name once (a deprecated re-export aside)', () => {
    // Each bridge entry also exports the event class it publishes, so that a bridge is one import.
    const bridges = new Set(['TransitionCommitted', 'transitionEventName']);
    const where = new Map<string, string[]>();
    for (const [subpath, entries] of Object.entries(api)) {
      for (const e of entries.filter((x) => !x.deprecated && !bridges.has(x.name))) {
        where.set(e.name, [...(where.get(e.name) ?? []), subpath]);
      }
    }
    const twice = [...where]
      .filter(([, at]) => at.length > 1)
      .map(([n, at]) => `${n}: ${at.join(', ')}`);
    expect(twice).toEqual([]);
  });

  it('lets an app compiled with declaration: true name every type a public signature names', () => {
    expect(unnameableTypes(api)).toEqual([]);
  });

  it('keeps internals out: no helper of the layers below is exported', () => {
    const names = new Set(
      Object.values(api)
        .flat()
        .map((e) => e.name),
    );
    for (const internal of [
      'finding',
      'nodePath',
      'formatPath',
      'assertChangesAllowed',
      'callDatabase',
      'storeFailure',
      'TransitionExchange',
      'IdempotencySession',
      'TRANSITION_METADATA',
      'resolveOptions',
      'ResolvedTransitionGuardOptions',
      'TRANSITION_GUARD_MODULE_OPTIONS',
      'TRANSITION_GUARD_OPTIONS',
      'TransitionRegistry',
      'canonicalJson',
      'MAX_JSON_DEPTH',
      'requestFingerprint',
      'parseIfMatch',
      'retryDelay',
    ]) {
      expect({ internal, exported: names.has(internal) }).toEqual({ internal, exported: false });
    }
  });
});
