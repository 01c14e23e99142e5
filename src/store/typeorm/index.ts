/**
 * `nestjs-transition-guard/typeorm`: the TypeORM stores (TypeORM is an optional peer).
 *
 * @module nestjs-transition-guard/typeorm
 */
export {
  TypeOrmTransitionStore,
  type TypeOrmTransitionStoreOptions,
} from './typeorm-transition-store.js';
export { TransitionLogEntry } from './transition-log.entity.js';
export { TypeOrmIdempotencyStore } from './typeorm-idempotency-store.js';
export { IdempotencyKeyEntry } from './idempotency-key.entity.js';
import { isUnavailable as isStoreUnavailable } from '../database-failures.js';

/**
 * @deprecated Import `isUnavailable` from `nestjs-transition-guard/store`; this re-export goes in
 * 0.3.0.
 * @example
 * import { isUnavailable } from 'nestjs-transition-guard/store';
 */
export const isUnavailable = isStoreUnavailable;
export { TypeOrmOutboxStore } from './typeorm-outbox-store.js';
export { TransitionOutboxEntry, HandledTransitionEntry } from './outbox.entities.js';
export { TypeOrmTimerStore } from './typeorm-timer-store.js';
export { TransitionTimerEntry } from './timer.entity.js';
