import { createValidator, UnknownStateError } from '../../../src/core/index.js';
import { orderMachine } from '../../../machines/order.machine.js';
import { ticketMachine } from '../../../machines/ticket.machine.js';

const orders = createValidator(orderMachine);
const tickets = createValidator(ticketMachine);

describe('hostile or malformed events', () => {
  const names = [
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    '',
    'x'.repeat(100_000),
    'SHIP ',
  ];
  it.each(names.map((n) => [n.slice(0, 20)]))('refuses event %p as unknown-event', (short) => {
    const type = names.find((n) => n.slice(0, 20) === short)!;
    const result = orders.check({ state: 'paid' }, type as never);
    expect(result).toMatchObject({ allowed: false, reason: 'unknown-event' });
    expect(result.event.length).toBeLessThanOrEqual(256);
  });

  it.each([
    [42],
    [null],
    [undefined],
    [{}],
    [{ type: 7 }],
    [[1, 2]],
    [{ type: { toString: () => 'SHIP' } }],
  ])('refuses a non-string event type %p without throwing', (event) => {
    expect(orders.check({ state: 'paid' }, event as never)).toMatchObject({
      allowed: false,
      reason: 'unknown-event',
    });
  });

  it('does not find events through the prototype chain of the event object', () => {
    const event = Object.create({ type: 'CANCEL' });
    expect(orders.check({ state: 'paid' }, event)).toMatchObject({
      allowed: false,
      reason: 'unknown-event',
    });
  });
});

describe('hostile or malformed stored states', () => {
  it.each([
    ['__proto__'],
    ['constructor'],
    ['toString'],
    [''],
    ['paid.'],
    ['.paid'],
    ['paid.__proto__'],
    ['a'.repeat(5000)],
    [42],
    [null],
    [undefined],
    [[]],
    [{}],
    [JSON.parse('{"__proto__": "paid"}')],
    [new Date()],
  ])('throws UnknownStateError for %p', (state) => {
    expect(() => orders.check({ state: state as never }, 'CANCEL')).toThrow(UnknownStateError);
  });

  it.each([
    [{ status: 'new', sla: 'running', extra: 'x' }],
    [{ status: ['new'] }],
    [{ status: { new: 'x' } }],
    [{ status: { open: 'working', new: {} } }],
    ['status'],
  ])('throws UnknownStateError for ticket state %p', (state) => {
    if (state === 'status') {
      // 'status' is a region: XState resolves it, with both regions at their initial states.
      expect(tickets.normalizeState(state)).toEqual({ status: 'new', sla: 'running' });
      return;
    }
    expect(() => tickets.check({ state: state as never }, 'ASSIGN')).toThrow(UnknownStateError);
  });

  it('keeps no state for a throwing lookup: a valid call after it still works', () => {
    expect(() => orders.check({ state: '__proto__' }, 'CANCEL')).toThrow(UnknownStateError);
    expect(orders.check({ state: 'paid' }, 'CANCEL')).toMatchObject({
      allowed: true,
      to: 'cancelled',
    });
  });
});
