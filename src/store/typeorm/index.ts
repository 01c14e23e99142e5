/** `nestjs-transition-guard/typeorm`: the TypeORM store (TypeORM is an optional peer). */
export { encodeState, decodeState } from '../state-encoding.js';
export {
  TypeOrmTransitionStore,
  isUnavailable,
  type TypeOrmTransitionStoreOptions,
} from './typeorm-transition-store.js';
export { TransitionLogEntry } from './transition-log.entity.js';
export { TypeOrmIdempotencyStore } from './typeorm-idempotency-store.js';
export { IdempotencyKeyEntry } from './idempotency-key.entity.js';
