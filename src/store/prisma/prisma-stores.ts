import { SqlIdempotencyStore } from '../sql/sql-idempotency-store.js';
import { SqlOutboxStore } from '../sql/sql-outbox-store.js';
import { SqlTimerStore } from '../sql/sql-timer-store.js';
import { SqlTransitionStore, type SqlTransitionStoreOptions } from '../sql/sql-transition-store.js';
import type { TransactionHostLike } from '../ambient-transaction.js';
import {
  PrismaConnection,
  type PrismaClientLike,
  type PrismaProvider,
  type PrismaQueries,
} from './prisma-client.js';

export interface PrismaTransitionStoreOptions<
  TRow extends object,
  TContext,
> extends SqlTransitionStoreOptions<TRow, TContext> {
  /** Your schema's datasource provider. */
  readonly provider: PrismaProvider;
  /**
   * `@nestjs-cls/transactional`'s `TransactionHost` (Prisma adapter): inside `@Transactional()`
   * the store loads and writes in the app's transaction instead of its own. The adapter must be
   * wrapped by `withTransitionHooks`.
   */
  readonly transactionHost?: TransactionHostLike<PrismaQueries>;
}

/**
 * A `TransitionStore` on a Prisma model, for SQLite, PostgreSQL and MySQL (Prisma 7 with driver
 * adapters, or Prisma 6): the SQL core's `SqlTransitionStore` on a Prisma client.
 * `compareAndSet` is one SQL statement, `UPDATE ... SET state, version = version + 1, changes
 * WHERE id AND state [AND version]`, run with `$queryRawUnsafe` and placeholders: not
 * `updateMany`, whose version filter Prisma users found split into a SELECT and an UPDATE
 * (prisma/prisma issues 4988, 8612). The log row and the `beforeCommit` hooks (which get the
 * transaction's client) commit with it. `table` is the model's table as the database names it
 * (its `@@map`); `columns` names the fields that have a `@map`.
 *
 * @example
 * @Injectable()
 * export class OrderStore extends PrismaTransitionStore<Order, OrderContext> {
 *   constructor(prisma: PrismaService) {
 *     super(prisma, { provider: 'postgresql', table: 'Order', stateProperty: 'status',
 *       versionProperty: 'version', log: true, context: (o) => ({ total: o.total, paid: o.paid }) });
 *   }
 * }
 */
export class PrismaTransitionStore<TRow extends object, TContext = TRow> extends SqlTransitionStore<
  TRow,
  TContext
> {
  constructor(client: PrismaClientLike, options: PrismaTransitionStoreOptions<TRow, TContext>) {
    super(new PrismaConnection(client, options.provider, options.transactionHost), options);
  }
}

/**
 * An `IdempotencyStore` on Prisma (SQLite, PostgreSQL, MySQL), keeping keys in `idempotency_keys`
 * (the model in the README). Marking a key committed runs inside the transition's transaction
 * when the transition store is a `PrismaTransitionStore` on the same client.
 *
 * @example
 * @Injectable()
 * export class KeyStore extends PrismaIdempotencyStore {
 *   constructor(prisma: PrismaService) { super(prisma, 'postgresql'); }
 * }
 */
export class PrismaIdempotencyStore extends SqlIdempotencyStore {
  constructor(client: PrismaClientLike, provider: PrismaProvider) {
    super(new PrismaConnection(client, provider));
  }
}

/**
 * The transactional outbox on Prisma (SQLite, PostgreSQL, MySQL), in the tables `transition_outbox`
 * and `transition_handled` (the models in the README): messages commit with the transitions of
 * `PrismaTransitionStore`s on the same client; `delivery.once(tx => ...)` gives the transaction's
 * client.
 *
 * @example
 * @Injectable()
 * export class OutboxStore extends PrismaOutboxStore {
 *   constructor(prisma: PrismaService) { super(prisma, 'postgresql'); }
 * }
 * // TransitionGuardModule.forRoot({ outbox: { store: OutboxStore } })
 */
export class PrismaOutboxStore extends SqlOutboxStore {
  constructor(client: PrismaClientLike, provider: PrismaProvider) {
    super(new PrismaConnection(client, provider), 'PrismaOutboxStore');
  }
}

/**
 * The timers of `after` transitions on Prisma (SQLite, PostgreSQL, MySQL), in the table
 * `transition_timers` (its DDL in docs/timers.md): armed in the transactions of
 * `PrismaTransitionStore`s on the same client.
 *
 * @example
 * @Injectable()
 * export class TimerStore extends PrismaTimerStore {
 *   constructor(prisma: PrismaService) { super(prisma, 'postgresql'); }
 * }
 * // TransitionGuardModule.forRoot({ timers: { store: TimerStore } })
 */
export class PrismaTimerStore extends SqlTimerStore {
  constructor(client: PrismaClientLike, provider: PrismaProvider) {
    super(new PrismaConnection(client, provider), 'PrismaTimerStore');
  }
}
