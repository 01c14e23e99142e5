import { SqlIdempotencyStore } from '../sql/sql-idempotency-store.js';
import { DrizzleConnection, type DrizzleDatabase } from './drizzle-connection.js';
import type { IdempotencyKeysTable } from './idempotency-keys.tables.js';

/**
 * An `IdempotencyStore` on Drizzle (SQLite, PostgreSQL, MySQL), keeping keys in
 * `idempotency_keys` (export `sqliteIdempotencyKeys`, `pgIdempotencyKeys` or
 * `mysqlIdempotencyKeys` from your schema): the SQL core's store on the database. Marking a key
 * committed runs inside the transition's transaction when the transition store is a
 * `DrizzleTransitionStore` on the same database: the state change and the key commit together.
 *
 * @example
 * TransitionGuardModule.forRoot({
 *   idempotency: { store: new DrizzleIdempotencyStore(db) },
 * });
 */
export class DrizzleIdempotencyStore extends SqlIdempotencyStore {
  /** A table is accepted as the second argument, as 0.1 took it (keys are in `idempotency_keys`). */
  constructor(db: DrizzleDatabase, _table?: IdempotencyKeysTable) {
    super(new DrizzleConnection(db));
  }
}
