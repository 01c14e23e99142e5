import {
  createValidator,
  IllegalTransitionError,
  UnknownStateError,
  type RefusedTransition,
} from '../../../src/core/index.js';
import { orderMachine } from '../../../machines/order.machine.js';

const orders = createValidator(orderMachine);
const paidUp = { total: 100, paid: 100 };
const ship = { type: 'SHIP', carrier: 'UPS', trackingNumber: '1Z999' } as const;

describe('order machine', () => {
  it('allows a legal transition and says where it leads', () => {
    expect(orders.check({ state: 'paid', context: paidUp }, ship)).toEqual({
      allowed: true,
      event: 'SHIP',
      from: 'paid',
      to: 'shipped',
    });
  });

  it('refuses every event on a final state, with a message a person can act on', () => {
    const result = orders.check({ state: 'cancelled' }, 'SHIP') as RefusedTransition;
    expect(result).toMatchObject({
      allowed: false,
      reason: 'final-state',
      from: 'cancelled',
      allowedEvents: [],
    });
    expect(() => orders.assert({ state: 'cancelled' }, 'SHIP')).toThrow(
      "Cannot SHIP order: state 'cancelled' is final",
    );
    expect.assertions(4);
    try {
      orders.assert({ state: 'cancelled' }, 'SHIP');
    } catch (err) {
      expect(err).toBeInstanceOf(IllegalTransitionError);
      expect((err as IllegalTransitionError).result.reason).toBe('final-state');
    }
  });

  it('reports no-transition with the events allowed now', () => {
    expect(orders.check({ state: 'pending' }, 'DELIVER')).toEqual({
      allowed: false,
      event: 'DELIVER',
      from: 'pending',
      reason: 'no-transition',
      allowedEvents: ['PAY', 'CANCEL'],
    });
  });

  it('names the guard that refused', () => {
    const result = orders.check({ state: 'paid', context: { total: 100, paid: 40 } }, ship);
    expect(result).toMatchObject({
      allowed: false,
      reason: 'guard-rejected',
      blockedBy: ['paidInFull'],
    });
    expect(result.allowed || result.allowedEvents).toEqual(['CANCEL', 'REFUND']);
  });

  it('evaluates guards on the event payload and runs assign for `to`', () => {
    const pending = { state: 'pending', context: { total: 100, paid: 0 } } as const;
    expect(orders.check(pending, { type: 'PAY', amount: 100 })).toMatchObject({
      allowed: true,
      to: 'paid',
    });
    // A partial payment is a targetless transition: allowed, the order stays pending.
    expect(orders.check(pending, { type: 'PAY', amount: 99 })).toMatchObject({
      allowed: true,
      to: 'pending',
    });
  });

  it('refuses an invalid payload with zod issues as data, without throwing', () => {
    const result = orders.check(
      { state: 'paid', context: paidUp },
      {
        type: 'SHIP',
        carrier: 42,
      },
    );
    expect(result).toMatchObject({ allowed: false, reason: 'invalid-payload' });
    const issues = (result as RefusedTransition).issues!;
    expect(issues.map((i) => i.path.join('.'))).toEqual(['carrier', 'trackingNumber']);
    expect(issues[0].code).toBe('invalid_type');
  });

  it('checks state before payload: a final state is reported even when the payload is missing', () => {
    expect(orders.check({ state: 'cancelled' }, 'SHIP')).toMatchObject({ reason: 'final-state' });
    expect(orders.check({ state: 'pending' }, 'SHIP')).toMatchObject({ reason: 'no-transition' });
    expect(orders.check({ state: 'paid', context: paidUp }, 'SHIP')).toMatchObject({
      reason: 'invalid-payload',
    });
  });

  it('explains every event, for a UI to grey out buttons', () => {
    expect(orders.explain({ state: 'paid', context: { total: 100, paid: 10 } })).toEqual([
      { event: 'PAY', allowed: false, reason: 'no-transition' },
      { event: 'CANCEL', allowed: true, to: 'cancelled' },
      { event: 'SHIP', allowed: false, reason: 'guard-rejected', blockedBy: ['paidInFull'] },
      { event: 'REFUND', allowed: true, to: 'refunded' },
      { event: 'DELIVER', allowed: false, reason: 'no-transition' },
    ]);
    expect(orders.allowedEvents({ state: 'paid', context: paidUp })).toEqual([
      'CANCEL',
      'SHIP',
      'REFUND',
    ]);
    expect(orders.can({ state: 'shipped' }, 'DELIVER')).toBe(true);
  });

  it('throws UnknownStateError naming the machine and its states for a state it does not have', () => {
    expect(() => orders.check({ state: 'shiped' }, 'SHIP')).toThrow(UnknownStateError);
    expect(() => orders.check({ state: 'shiped' }, 'SHIP')).toThrow(
      /Stored state 'shiped' is not a state of machine 'order'.*valid: pending, paid, shipped, delivered, cancelled, refunded.*Migrate the row or add the state/,
    );
  });

  it('defaults context to the machine initial context', () => {
    // The machine's context is { total: 0, paid: 0 }: paid in full, so SHIP passes its guard.
    expect(orders.check({ state: 'paid' }, ship)).toMatchObject({ allowed: true });
  });

  it('returns the same answer for repeated calls (cached results are frozen)', () => {
    const a = orders.check({ state: 'shipped' }, 'DELIVER');
    const b = orders.check({ state: 'shipped' }, 'DELIVER');
    expect(b).toEqual(a);
    expect(Object.isFrozen(a)).toBe(true);
  });
});
