import type { TransitionRecord } from '../../src/store/index.js';

/**
 * The `n`-th committed PAY of the outbox suites and benchmarks, as the store records it: order
 * `orderId` at `version`, its transition id derived from `n` (a UUID), committed now.
 */
export function payRecord(n: number, orderId: string, version: number): TransitionRecord {
  return {
    transitionId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    resource: 'order',
    resourceId: orderId,
    event: 'PAY',
    from: 'pending',
    to: 'pending',
    version,
    actor: null,
    at: new Date(),
    reason: null,
    comment: null,
    metadata: null,
    machineVersion: 'payments',
    correlationId: null,
  };
}
