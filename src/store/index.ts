export type {
  TransitionStore,
  StoredResource,
  ExpectedState,
  TransitionRecord,
  CompareAndSetOptions,
  WriteResult,
  LockedDecision,
} from './transition-store.interface.js';
export { MemoryTransitionStore } from './memory-transition-store.js';
export {
  IDEMPOTENCY_STORE,
  type IdempotencyStore,
  type IdempotencyRecord,
  type IdempotencyClaim,
  type StoredResponse,
} from './idempotency-store.interface.js';
export { MemoryIdempotencyStore } from './memory-idempotency-store.js';
export {
  StoreUnavailableError,
  ForbiddenChangesError,
  IdempotencyKeyLostError,
} from './store-errors.js';
