import type { StoredState } from '../core/index.js';

/** Strings are stored as they are; parallel state values as JSON with sorted keys (so equal values compare equal). */
export function encodeState(state: StoredState): string {
  return typeof state === 'string' ? state : stableJson(state);
}

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

export function decodeState(value: unknown): StoredState {
  const s = String(value);
  if (!s.startsWith('{')) return s;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
