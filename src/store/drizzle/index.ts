/**
 * `nestjs-transition-guard/drizzle`: the Drizzle ORM stores (drizzle-orm is an optional peer).
 *
 * @module nestjs-transition-guard/drizzle
 */
export {
  DrizzleTransitionStore,
  type DrizzleTransitionStoreOptions,
  type TableRow,
} from './drizzle-transition-store.js';
export { DrizzleIdempotencyStore } from './drizzle-idempotency-store.js';
export { DrizzleOutboxStore, DrizzleTimerStore } from './drizzle-outbox-store.js';
export {
  sqliteTransitionOutbox,
  sqliteTransitionHandled,
  pgTransitionOutbox,
  pgTransitionHandled,
} from './outbox.tables.js';
export {
  sqliteIdempotencyKeys,
  pgIdempotencyKeys,
  type IdempotencyKeysTable,
} from './idempotency-keys.tables.js';
export { type DrizzleDatabase } from './drizzle-connection.js';
export {
  mysqlTransitionLog,
  mysqlIdempotencyKeys,
  mysqlTransitionOutbox,
  mysqlTransitionHandled,
} from './mysql.tables.js';
export {
  sqliteTransitionLog,
  pgTransitionLog,
  type TransitionLogTable,
} from './transition-log.tables.js';
import { isUnavailable as isStoreUnavailable } from '../database-failures.js';

/**
 * @deprecated Import `isUnavailable` from `nestjs-transition-guard/store`; this re-export goes in
 * 0.3.0.
 * @example
 * import { isUnavailable } from 'nestjs-transition-guard/store';
 */
export const isUnavailable = isStoreUnavailable;
