/**
 * Event descriptor matching, exactly as XState v5 does it: `'*'` matches every event, a
 * partial wildcard `'order.*'` matches `'order'`, `'order.paid'`, `'order.paid.late'`.
 */
export function matchesEventDescriptor(eventType: string, descriptor: string): boolean {
  if (descriptor === eventType || descriptor === '*') return true;
  if (!descriptor.endsWith('.*')) return false;
  const partial = descriptor.split('.');
  const tokens = eventType.split('.');
  for (let i = 0; i < partial.length; i++) {
    if (partial[i] === '*') return i === partial.length - 1;
    if (partial[i] !== tokens[i]) return false;
  }
  return true;
}

/** Descriptors that are patterns rather than event types. */
export function isWildcardDescriptor(descriptor: string): boolean {
  return descriptor === '*' || descriptor.endsWith('.*');
}

/**
 * XState's own events (`xstate.done.state.*`, `xstate.after.*`, `xstate.error.*`, ...). A client
 * sending one could skip steps of the machine, so the validator refuses them as unknown.
 */
export function isInternalEventType(eventType: string): boolean {
  return eventType.startsWith('xstate.');
}

/** Longest event type accepted; longer input is refused as unknown before any lookup. */
export const MAX_EVENT_TYPE_LENGTH = 256;
