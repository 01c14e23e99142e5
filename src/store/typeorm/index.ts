/** `nestjs-transition-guard/typeorm`: the TypeORM stores (TypeORM is an optional peer). */
export {
  TypeOrmTransitionStore,
  type TypeOrmTransitionStoreOptions,
} from './typeorm-transition-store.js';
export { TransitionLogEntry } from './transition-log.entity.js';
export { TypeOrmIdempotencyStore } from './typeorm-idempotency-store.js';
export { IdempotencyKeyEntry } from './idempotency-key.entity.js';
export { isUnavailable } from '../database-failures.js';
export { TypeOrmOutboxStore } from './typeorm-outbox-store.js';
export { TransitionOutboxEntry, HandledTransitionEntry } from './outbox.entities.js';
