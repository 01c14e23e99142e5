import { SqlOutboxStore } from '../sql/sql-outbox-store.js';
import { SqlTimerStore } from '../sql/sql-timer-store.js';
import { DrizzleConnection, type DrizzleDatabase } from './drizzle-connection.js';

/**
 * The transactional outbox on Drizzle (SQLite, PostgreSQL, MySQL), in `transition_outbox` and
 * `transition_handled` (export the tables of your dialect, e.g. `sqliteTransitionOutbox` and
 * `sqliteTransitionHandled`, from your schema): the SQL core's outbox on the database. Messages
 * commit with the transitions of `DrizzleTransitionStore`s on the same database;
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
    super(new DrizzleConnection(db), 'DrizzleOutboxStore');
  }
}

/**
 * The timers of `after` transitions on Drizzle (SQLite, PostgreSQL, MySQL), in the table
 * `transition_timers` (its DDL in docs/timers.md): armed in the transactions of
 * `DrizzleTransitionStore`s on the same database.
 *
 * @example
 * @Injectable()
 * export class TimerStore extends DrizzleTimerStore {
 *   constructor(@Inject(DB) db: NodePgDatabase) { super(db); }
 * }
 * // TransitionGuardModule.forRoot({ timers: { store: TimerStore } })
 */
export class DrizzleTimerStore extends SqlTimerStore {
  constructor(db: DrizzleDatabase) {
    super(new DrizzleConnection(db), 'DrizzleTimerStore');
  }
}
