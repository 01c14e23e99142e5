import type { RefusedTransition } from './types.js';
import { formatState } from './state-value.js';

/**
 * A sentence a person can act on, for a refused transition:
 * "Cannot SHIP order: state 'cancelled' is final".
 *
 * @example
 * describeRefusal(validator.check({ state: 'cancelled' }, 'SHIP') as RefusedTransition, 'order 7');
 * // "Cannot SHIP order 7: state 'cancelled' is final"
 */
export function describeRefusal(result: RefusedTransition, subject: string): string {
  const head = `Cannot ${result.event || '(no event)'} ${subject}`;
  const from = formatState(result.from);
  const allowed = result.allowedEvents.length ? result.allowedEvents.join(', ') : 'none';
  switch (result.reason) {
    case 'final-state':
      return `${head}: state ${from} is final`;
    case 'unknown-event':
      return `${head}: '${result.event}' is not an event of this machine (allowed now: ${allowed})`;
    case 'no-transition':
      return `${head}: no transition for ${result.event} from state ${from} (allowed now: ${allowed})`;
    case 'guard-rejected':
      return `${head} in state ${from}: refused by ${plural(result.blockedBy ?? [])}`;
    case 'forbidden':
      return `${head}: ${result.event} is forbidden in state ${from} (allowed now: ${allowed})`;
    case 'invalid-payload':
      return `${head}: invalid payload: ${(result.issues ?? [])
        .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
        .join('; ')}`;
  }
}

function plural(guards: readonly string[]): string {
  const quoted = guards.map((g) => `'${g}'`);
  return quoted.length === 1 ? `guard ${quoted[0]}` : `guards ${quoted.join(', ')}`;
}
