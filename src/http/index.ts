export { etagFor, parseIfMatch, ifMatchHolds, type IfMatch } from './etag.js';
export {
  parseIdempotencyKey,
  requestFingerprint,
  MAX_IDEMPOTENCY_KEY_LENGTH,
} from './idempotency-key.js';
export {
  IDEMPOTENCY_STORE,
  type IdempotencyStore,
  type IdempotencyRecord,
  type StoredResponse,
} from './idempotency-store.interface.js';
export { MemoryIdempotencyStore } from './memory-idempotency-store.js';
