export type {
  TransitionStore,
  StoredResource,
  ExpectedState,
  TransitionRecord,
  CompareAndSetOptions,
  WriteResult,
  Written,
  LockedDecision,
  HistoryQuery,
  HistoryEntry,
  HistoryPage,
} from './transition-store.interface.js';
export {
  OUTBOX_STORE,
  type OutboxStore,
  type OutboxMessage,
  type NewOutboxMessage,
  type ClaimedMessage,
  type OutboxStatus,
} from './outbox-store.interface.js';
export { MemoryOutboxStore } from './memory-outbox-store.js';
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
export {
  withTransitionHooks,
  type TransactionHostLike,
  type JoinedTransaction,
  type TransactionalAdapterLike,
} from './ambient-transaction.js';
