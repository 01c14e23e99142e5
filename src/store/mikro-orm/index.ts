/**
 * `nestjs-transition-guard/mikro-orm`: the MikroORM 6 stores (MikroORM is an optional peer).
 *
 * @module nestjs-transition-guard/mikro-orm
 */
export {
  MikroOrmTransitionStore,
  MikroOrmIdempotencyStore,
  MikroOrmOutboxStore,
  MikroOrmTimerStore,
  type MikroOrmTransitionStoreOptions,
} from './mikro-orm-stores.js';
export {
  type MikroOrmEntityManagerLike,
  type MikroOrmEntityMetadata,
} from './mikro-orm-connection.js';
export {
  TransitionLogSchema,
  IdempotencyKeySchema,
  TransitionOutboxSchema,
  HandledTransitionSchema,
  type IdempotencyKeyRow,
  type TransitionOutboxRow,
} from './library-schemas.js';
import { isUnavailable as isStoreUnavailable } from '../database-failures.js';

/**
 * @deprecated Import `isUnavailable` from `nestjs-transition-guard/store`; this re-export goes in
 * 0.3.0.
 * @example
 * import { isUnavailable } from 'nestjs-transition-guard/store';
 */
export const isUnavailable = isStoreUnavailable;
// eslint-disable-next-line @typescript-eslint/no-deprecated -- kept for 0.1's imports until 0.3.0
export type { StringField, NumberField } from '../sql/sql-transition-store.js';
