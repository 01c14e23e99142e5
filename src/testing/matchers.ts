import type { EventInput, StoredState, TransitionValidator } from '../core/index.js';
import { formatState, sameState } from '../core/state-value.js';

/** Where a matcher asks from: the stored state, and the context guards read. */
export interface FromState {
  readonly from: StoredState;
  readonly context?: unknown;
}

/** What a matcher returns (Jest's and Vitest's shape). */
export interface MatcherResult {
  readonly pass: boolean;
  readonly message: () => string;
}

const eventName = (event: EventInput) =>
  typeof event === 'string' ? event : String((event as { type: unknown }).type);

/**
 * Matchers for machines, for Jest and Vitest: `expect(validator).toAllow('SHIP', { from: 'paid', context })`,
 * optionally with where it leads (`to`), and `expect(validator).toRefuse('SHIP', { from:
 * 'cancelled', reason: 'final-state' })`. Register them once with `expect.extend()`.
 *
 * @example
 * import { transitionMatchers } from 'nestjs-transition-guard/testing';
 * expect.extend(transitionMatchers);
 * const orders = createValidator(orderMachine);
 * expect(orders).toAllow({ type: 'PAY', amount: 10 }, { from: 'pending', context: { total: 10, paid: 0 }, to: 'paid' });
 * expect(orders).toRefuse('SHIP', { from: 'cancelled', reason: 'final-state' });
 */
export const transitionMatchers = {
  toAllow(
    validator: TransitionValidator,
    event: EventInput,
    at: FromState & { readonly to?: StoredState },
  ): MatcherResult {
    const result = validator.check({ state: at.from, context: at.context }, event);
    const where = `${eventName(event)} from ${formatState(at.from)}`;
    if (!result.allowed) {
      return {
        pass: false,
        message: () =>
          `expected ${validator.name} to allow ${where}, but it refuses: ${result.reason}` +
          `${result.blockedBy ? ` (blocked by ${result.blockedBy.join(', ')})` : ''}; allowed now: ${result.allowedEvents.join(', ') || 'none'}`,
      };
    }
    if (at.to !== undefined && !sameState(result.to, at.to)) {
      return {
        pass: false,
        message: () =>
          `expected ${where} to lead to ${formatState(at.to)}, but it leads to ${formatState(result.to)}`,
      };
    }
    return {
      pass: true,
      message: () =>
        `expected ${validator.name} not to allow ${where}, but it leads to ${formatState(result.to)}`,
    };
  },

  toRefuse(
    validator: TransitionValidator,
    event: EventInput,
    at: FromState & { readonly reason?: string },
  ): MatcherResult {
    const result = validator.check({ state: at.from, context: at.context }, event);
    const where = `${eventName(event)} from ${formatState(at.from)}`;
    if (result.allowed) {
      return {
        pass: false,
        message: () =>
          `expected ${validator.name} to refuse ${where}, but it allows it (to ${formatState(result.to)})`,
      };
    }
    if (at.reason !== undefined && result.reason !== at.reason) {
      return {
        pass: false,
        message: () =>
          `expected ${where} to be refused as ${at.reason}, but the reason is ${result.reason}`,
      };
    }
    return {
      pass: true,
      message: () =>
        `expected ${validator.name} not to refuse ${where}, but it does: ${result.reason}`,
    };
  },
};

/**
 * The matchers' types, for a runner's `expect` (Jest's `jest.Matchers` gets them here; Vitest's
 * `Assertion` by a declaration in your tests, see the testing docs).
 *
 * @example
 * // test/vitest-matchers.d.ts
 * import 'vitest';
 * import type { TransitionMatchers } from 'nestjs-transition-guard/testing';
 * declare module 'vitest' {
 *   interface Assertion<T> extends TransitionMatchers<T> {}
 * }
 */
export interface TransitionMatchers<R> {
  /** The validator allows `event` from `from` (and leads to `to`, when given). */
  toAllow(event: EventInput, at: FromState & { readonly to?: StoredState }): R;
  /** The validator refuses `event` from `from` (with `reason`, when given). */
  toRefuse(event: EventInput, at: FromState & { readonly reason?: string }): R;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Jest's own extension point
  namespace jest {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the matchers, merged in
    interface Matchers<R> extends TransitionMatchers<R> {}
  }
}
