import { pathToStateValue, type StateValue } from 'xstate';
import type { StoredState } from './types.js';

/** Longest stored state string accepted; longer input is refused before any lookup. */
export const MAX_STATE_LENGTH = 1024;

/** `'paid'` stays `'paid'`; `{ shipping: 'in_transit' }` becomes `'shipping.in_transit'`; parallel values stay objects. */
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

/** The XState state value of a stored state: dotted paths become nested objects. */
export function toStateValue(stored: StoredState): StateValue {
  return typeof stored === 'string' && stored.includes('.')
    ? pathToStateValue(stored.split('.'))
    : stored;
}

/** A key equal for equal state values whatever their key order. */
export function stateKey(value: StateValue): string {
  if (typeof value === 'string') return value;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${k}:${stateKey((value as Record<string, StateValue>)[k])}`).join(',')}}`;
}

/** `'paid'` for strings, compact JSON for objects: how states appear in messages. */
export function formatState(state: StoredState | unknown): string {
  if (typeof state === 'string') {
    return `'${state.length > 80 ? `${state.slice(0, 80)}...` : state}'`;
  }
  try {
    const json = JSON.stringify(state);
    if (json === undefined) return String(state);
    return json.length > 120 ? `${json.slice(0, 120)}...` : json;
  } catch {
    return String(state);
  }
}
