/**
 * `nestjs-transition-guard/store`: writing a store of your own. The three store interfaces
 * (transitions, Idempotency-Keys, the outbox), what they take and return, the errors a store
 * throws, how states are kept in a column, and `isUnavailable` (a driver error that means "503").
 *
 * @module nestjs-transition-guard/store
 */
export type {
  TransitionStore,
  StoredResource,
  ExpectedState,
  TransitionRecord,
  CompareAndSetOptions,
  WriteResult,
  Written,
  LockedDecision,
  StateCount,
  HistoryQuery,
  HistoryEntry,
  HistoryPage,
} from './transition-store.interface.js';
export type {
  OutboxStore,
  OutboxMessage,
  NewOutboxMessage,
  ClaimedMessage,
  OutboxStatus,
} from './outbox-store.interface.js';
export type { TimerStore, TimerOwner, StoredTimer, ClaimedTimer } from './timer-store.interface.js';
export type {
  IdempotencyStore,
  IdempotencyRecord,
  IdempotencyClaim,
  StoredResponse,
} from './idempotency-store.interface.js';
export {
  StoreUnavailableError,
  type WriteOutcome,
  ForbiddenChangesError,
  IdempotencyKeyLostError,
  TimerGoneError,
} from './store-errors.js';
export { isUnavailable } from './database-failures.js';
export {
  machineTriggerStatements,
  TRIGGER_REFUSAL,
  TRIGGER_SQLSTATE,
  SQLITE_BYPASS_TABLE,
  type TriggerTable,
  type TriggerOptions,
  type TriggerStatements,
} from './sql/machine-trigger.js';
export {
  stateMoveStatements,
  MIGRATION_ACTOR,
  type StateMove,
  type StateMoveStatements,
} from './sql/state-move.js';
export type {
  TransactionHostLike,
  JoinedTransaction,
  TransactionalAdapterLike,
} from './ambient-transaction.js';
export { encodeState, decodeState } from '../core/state-value.js';
export type { TransitionLogRow } from './log-rows.js';
export type { KeyType } from './key-types.js';

// The SQL core the ORM stores share: an ORM adapter implements `SqlConnection`.
export {
  SqlTransitionStore,
  type SqlTransitionStoreOptions,
  type TransitionStoreOptions,
  type ResourceTable,
  type StringProperty,
  type NumberProperty,
} from './sql/sql-transition-store.js';
export type { ResourceColumns } from './sql/transition-statements.js';
export { SqlIdempotencyStore } from './sql/sql-idempotency-store.js';
export { SqlOutboxStore } from './sql/sql-outbox-store.js';
export { SqlTimerStore } from './sql/sql-timer-store.js';
export {
  PgBossTimerStore,
  type PgBossDatabase,
  type PgBossJob,
  type PgBossLike,
} from './sql/pg-boss-timer-store.js';
export type {
  SqlConnection,
  SqlQueries,
  SqlRow,
  RunMode,
  TableNames,
  LibraryTable,
} from './sql/sql-connection.js';
export type { SqlDialect, DialectName } from './sql/dialect.js';

// The relay that drives an outbox store (the module runs one; a store's own tests can too).
export {
  OutboxRelay,
  type RelayOptions,
  type RelayRound,
  type RelayLog,
} from '../outbox/outbox-relay.js';
export { PostgresWakeUp, type WakeUpChannel } from '../outbox/postgres-wake-up.js';
export type { Backoff } from '../outbox/backoff.js';
export type { TransitionHandler } from '../outbox/transition-delivery.js';
