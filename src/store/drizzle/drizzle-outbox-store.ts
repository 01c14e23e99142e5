import { SqlOutboxStore } from '../sql/sql-outbox-store.js';
import type { DrizzleDatabase } from './drizzle-connection.js';
import { DrizzleSqlConnection } from './drizzle-sql-connection.js';

/**
 * The transactional outbox on Drizzle (SQLite through better-sqlite3, PostgreSQL through
 * node-postgres), in `transition_outbox` and `transition_handled` (export
 * `sqliteTransitionOutbox` and `sqliteTransitionHandled`, or the `pg` ones, from your schema):
 * messages commit with the transitions of `DrizzleTransitionStore`s on the same database;
 * `delivery.once(tx => ...)` gives the transaction (on SQLite, the database, in its transaction).
 *
 * @example
 * @Injectable()
 * export class OutboxStore extends DrizzleOutboxStore {
 *   constructor(@Inject(DB) db: NodePgDatabase) { super(db); }
 * }
 * // TransitionGuardModule.forRoot({ outbox: { store: OutboxStore } })
 */
export class DrizzleOutboxStore extends SqlOutboxStore {
  constructor(db: DrizzleDatabase) {
    super(new DrizzleSqlConnection(db), 'DrizzleOutboxStore');
  }
}
