export { etagFor, parseIfMatch, ifMatchHolds, versionOfEtag, type IfMatch } from './etag.js';
export {
  parseIdempotencyKey,
  requestFingerprint,
  MAX_IDEMPOTENCY_KEY_LENGTH,
} from './idempotency-key.js';
