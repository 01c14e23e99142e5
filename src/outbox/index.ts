export { OutboxRelay, type RelayOptions, type RelayRound, type RelayLog } from './outbox-relay.js';
export { retryDelay, type Backoff } from './backoff.js';
export type { TransitionDelivery, TransitionHandler } from './transition-delivery.js';
export { transitionEnvelope, type TransitionEnvelope } from './transition-envelope.js';
export { TransitionInbox } from './transition-inbox.js';
