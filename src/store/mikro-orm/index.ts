/** `nestjs-transition-guard/mikro-orm`: the MikroORM 6 stores (MikroORM is an optional peer). */
export {
  MikroOrmTransitionStore,
  MikroOrmIdempotencyStore,
  MikroOrmOutboxStore,
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
export { type StringField, type NumberField } from '../sql/sql-transition-store.js';
export { isUnavailable } from '../database-failures.js';
