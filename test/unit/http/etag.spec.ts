import { etagFor, ifMatchHolds, parseIfMatch } from '../../../src/http/index.js';

describe('ETag and If-Match', () => {
  it('derives a strong ETag from the version, none without one', () => {
    expect(etagFor(0)).toBe('"v0"');
    expect(etagFor(12)).toBe('"v12"');
    expect(etagFor(undefined)).toBeUndefined();
  });

  it.each([
    ['*', { any: true }],
    ['"v3"', { any: false, tags: ['"v3"'] }],
    [' "v3" , "v4" ', { any: false, tags: ['"v3"', '"v4"'] }],
    ['W/"v3"', { any: false, tags: [] }],
    [['"v1"', '"v2"'], { any: false, tags: ['"v1"', '"v2"'] }],
  ])('parses %j', (header, parsed) => {
    expect(parseIfMatch(header)).toEqual(parsed);
  });

  it.each([['v3'], ['"v3'], [''], ['"a b"'], [42], [undefined]])('refuses %j', (header) => {
    expect(parseIfMatch(header)).toBeUndefined();
  });

  it('compares strongly: weak tags never match, * matches any existing version', () => {
    expect(ifMatchHolds(parseIfMatch('"v3"')!, etagFor(3))).toBe(true);
    expect(ifMatchHolds(parseIfMatch('"v3"')!, etagFor(4))).toBe(false);
    expect(ifMatchHolds(parseIfMatch('W/"v3"')!, etagFor(3))).toBe(false);
    expect(ifMatchHolds(parseIfMatch('*')!, undefined)).toBe(true);
    expect(ifMatchHolds(parseIfMatch('"v3"')!, undefined)).toBe(false);
  });
});
