import { createValidator } from '../../../src/core/index.js';
import { transitionMatchers } from '../../../src/testing/index.js';
import { orderMachine } from '../../../machines/order.machine.js';

expect.extend(transitionMatchers);
const orders = createValidator(orderMachine);
const owed = { total: 10, paid: 0 };

describe('transition matchers', () => {
  it('pass when the machine agrees', () => {
    expect(orders).toAllow(
      { type: 'PAY', amount: 10 },
      { from: 'pending', context: owed, to: 'paid' },
    );
    expect(orders).toAllow('CANCEL', { from: 'paid' });
    expect(orders).toRefuse('SHIP', { from: 'cancelled', reason: 'final-state' });
    expect(orders).not.toAllow('SHIP', { from: 'pending' });
    expect(orders).not.toRefuse('CANCEL', { from: 'pending' });
  });

  it('fail with a message that says what the machine answers instead', () => {
    expect(() => expect(orders).toAllow('SHIP', { from: 'cancelled' })).toThrow(
      "expected order to allow SHIP from 'cancelled', but it refuses: final-state; allowed now: none",
    );
    expect(() =>
      expect(orders).toAllow(
        { type: 'PAY', amount: 5 },
        { from: 'pending', context: owed, to: 'paid' },
      ),
    ).toThrow("expected PAY from 'pending' to lead to 'paid', but it leads to 'pending'");
    const ship = { type: 'SHIP', carrier: 'UPS', trackingNumber: '1Z' } as const;
    expect(() =>
      expect(orders).toRefuse(ship, { from: 'paid', context: owed, reason: 'final-state' }),
    ).toThrow(
      "expected SHIP from 'paid' to be refused as final-state, but the reason is guard-rejected",
    );
    expect(() => expect(orders).toRefuse('CANCEL', { from: 'paid' })).toThrow(
      "expected order to refuse CANCEL from 'paid', but it allows it (to 'cancelled')",
    );
  });
});
