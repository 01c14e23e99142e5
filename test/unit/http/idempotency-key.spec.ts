import { JsonTooDeepError } from '../../../src/core/canonical-json.js';
import {
  MAX_IDEMPOTENCY_KEY_LENGTH,
  parseIdempotencyKey,
  requestFingerprint,
} from '../../../src/http/index.js';

describe('Idempotency-Key', () => {
  it('reads plain and quoted keys, absent as undefined', () => {
    expect(parseIdempotencyKey('pay-7_a.b:c')).toBe('pay-7_a.b:c');
    expect(parseIdempotencyKey('"pay-7"')).toBe('pay-7');
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
  });

  it.each([
    [''],
    ['""'],
    ['a b'],
    ['é'],
    ['x'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH + 1)],
    [['a', 'b']],
  ])('refuses %j as malformed (null)', (header) => {
    expect(parseIdempotencyKey(header)).toBeNull();
  });

  const asked = (id = '1', event = 'PAY') => ({ resource: 'order', id, event });

  it('fingerprints the transition, method, path and body, whatever the key order', () => {
    const a = requestFingerprint(
      'POST',
      '/orders/1/pay',
      { amount: 5, note: { b: 1, a: 2 } },
      asked(),
    );
    const b = requestFingerprint(
      'post',
      '/orders/1/pay',
      { note: { a: 2, b: 1 }, amount: 5 },
      asked(),
    );
    expect(a).toBe(b);
    expect(requestFingerprint('POST', '/orders/2/pay', { amount: 5 }, asked('2'))).not.toBe(
      requestFingerprint('POST', '/orders/1/pay', { amount: 5 }, asked()),
    );
    expect(requestFingerprint('POST', '/orders/1/pay', { amount: 6 }, asked())).not.toBe(
      requestFingerprint('POST', '/orders/1/pay', { amount: 5 }, asked()),
    );
  });

  it('tells apart requests whose id or event is not in the path (a query, a header)', () => {
    const same = ['POST', '/invoices/pay', { amount: 5 }] as const;
    expect(requestFingerprint(...same, asked('1'))).not.toBe(
      requestFingerprint(...same, asked('2')),
    );
    expect(requestFingerprint(...same, asked('1', 'PAY'))).not.toBe(
      requestFingerprint(...same, asked('1', 'REFUND')),
    );
  });

  it('refuses a body nested deeper than the limit instead of overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(5000)}${']'.repeat(5000)}`) as unknown;
    expect(() => requestFingerprint('POST', '/x', deep, asked())).toThrow(JsonTooDeepError);
  });
});
