import { pathToStateValue, type StateValue } from 'xstate';
import { canonicalJson, jsonText } from './canonical-json.js';
import type { StoredState } from './types.js';

/** Longest stored state string accepted; longer input is refused before any lookup. */
export const MAX_STATE_LENGTH = 1024;

/**
 * `'paid'` stays `'paid'`; `{ shipping: 'in_transit' }` becomes `'shipping.in_transit'`; parallel
 * values stay objects.
 *
 * @example
 * toStoredState({ shipping: 'in_transit' }); // 'shipping.in_transit'
 */
export function toStoredState(value: StateValue): StoredState {
  if (typeof value === 'string') return value;
  const path: string[] = [];
  let current: StateValue = value;
  while (typeof current !== 'string') {
    const keys: string[] = Object.keys(current);
    if (keys.length !== 1) return value as StoredState;
    path.push(keys[0]);
    current = (current as Record<string, StateValue>)[keys[0]];
  }
  path.push(current);
  return path.join('.');
}

/**
 * The XState state value of a stored state: dotted paths become nested objects.
 *
 * @example
 * toStateValue('shipping.in_transit'); // { shipping: 'in_transit' }
 */
export function toStateValue(stored: StoredState): StateValue {
  return typeof stored === 'string' && stored.includes('.')
    ? pathToStateValue(stored.split('.'))
    : stored;
}

/**
 * A state as a text column holds it: strings as they are, parallel state values as JSON with
 * sorted keys (so equal values compare equal in SQL).
 *
 * @example
 * encodeState({ status: 'open', sla: 'running' }); // '{"sla":"running","status":"open"}'
 */
export function encodeState(state: StoredState): string {
  return typeof state === 'string' ? state : canonicalJson(state);
}

/**
 * The inverse of {@link encodeState}: a column's text back to a stored state.
 *
 * @example
 * decodeState('{"sla":"running","status":"open"}'); // { sla: 'running', status: 'open' }
 */
export function decodeState(value: unknown): StoredState {
  const s = String(value);
  if (!s.startsWith('{')) return s;
  try {
    return JSON.parse(s) as StoredState;
  } catch {
    return s;
  }
}

/** Whether two stored states are the same state (key order of parallel values aside). *
 * @example
 * sameState({ status: 'open', sla: 'running' }, { sla: 'running', status: 'open' }); // true
 */
export function sameState(a: StoredState, b: StoredState): boolean {
  return a === b || encodeState(a) === encodeState(b);
}

/**
 * How a state appears in messages: `'paid'` (quoted) or, with `quote: false`, `paid`; compact
 * JSON for parallel values. Long values are cut.
 *
 * @example
 * formatState('cancelled'); // "'cancelled'"
 * formatState('cancelled', { quote: false }); // 'cancelled'
 */
export function formatState(state: unknown, options: { quote?: boolean } = {}): string {
  if (typeof state === 'string') {
    const text = state.length > 80 ? `${state.slice(0, 80)}...` : state;
    return options.quote === false ? text : `'${text}'`;
  }
  try {
    const json = jsonText(state);
    if (json === undefined) return String(state);
    return json.length > 120 ? `${json.slice(0, 120)}...` : json;
  } catch {
    return String(state);
  }
}
