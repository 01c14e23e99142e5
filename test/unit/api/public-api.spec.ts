import { readFileSync } from 'node:fs';
import {
  anyInPublicDeclarations,
  collectApi,
  reportFile,
  reportText,
} from '../../../scripts/api-report.js';

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
    ]) {
      expect({ internal, exported: names.has(internal) }).toEqual({ internal, exported: false });
    }
  });
});
