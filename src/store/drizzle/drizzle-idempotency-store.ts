import { and, eq, is, lte, or } from 'drizzle-orm';
import { PgDatabase, PgTable } from 'drizzle-orm/pg-core';
import { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import { callDatabase } from '../database-failures.js';
import { claimedValues, idempotencyRecordOf } from '../idempotency-rows.js';
import type {
  IdempotencyClaim,
  IdempotencyRecord,
  IdempotencyStore,
  StoredResponse,
} from '../idempotency-store.interface.js';
import { IdempotencyKeyLostError } from '../store-errors.js';
import { DrizzleConnection, type DrizzleDatabase, type Queries } from './drizzle-connection.js';
import type { IdempotencyKeysTable } from './idempotency-keys.tables.js';

type KeyRow = IdempotencyKeysTable['$inferSelect'];

/**
 * An `IdempotencyStore` on Drizzle (SQLite through better-sqlite3, PostgreSQL through
 * node-postgres), keeping keys in `sqliteIdempotencyKeys` or `pgIdempotencyKeys`. Marking a key
 * committed runs inside the transition's transaction when the transition store is a
 * `DrizzleTransitionStore` on the same database: the state change and the key commit together.
 *
 * @example
 * TransitionGuardModule.forRoot({
 *   idempotency: { store: new DrizzleIdempotencyStore(db, sqliteIdempotencyKeys) },
 * });
 */
export class DrizzleIdempotencyStore implements IdempotencyStore {
  private readonly connection: DrizzleConnection;

  constructor(
    db: DrizzleDatabase,
    private readonly table: IdempotencyKeysTable,
  ) {
    this.connection = new DrizzleConnection(db);
  }

  /** Checks at bootstrap that the table is of the database's dialect. */
  verify(): void {
    if (is(this.table, PgTable) !== this.connection.postgres) {
      const wanted = this.connection.postgres ? 'pgIdempotencyKeys' : 'sqliteIdempotencyKeys';
      throw new Error(
        `DrizzleIdempotencyStore: the table is for ${is(this.table, PgTable) ? 'PostgreSQL' : 'SQLite'} but the database is ${this.connection.postgres ? 'PostgreSQL' : 'SQLite'}. ` +
          `Pass ${wanted} from 'nestjs-transition-guard/drizzle'.`,
      );
    }
  }

  async get(caller: string, key: string): Promise<IdempotencyRecord | null> {
    const rows = (await this.call((q) =>
      q.select().from(this.table).where(this.keyIs(caller, key)).limit(1),
    )) as KeyRow[];
    return idempotencyRecordOf(caller, key, rows.at(0));
  }

  /**
   * Takes the key: one conditional UPDATE over an expired key or an in-progress one whose lease
   * ended, else an INSERT ... ON CONFLICT DO NOTHING. True when this claim holds it.
   */
  async claim(caller: string, key: string, claim: IdempotencyClaim): Promise<boolean> {
    const t = this.table;
    const values = claimedValues(claim);
    const now = Date.now();
    return this.call(async (q) => {
      const taken = await q
        .update(t)
        .set(values)
        .where(
          and(
            this.keyIs(caller, key),
            or(lte(t.expiresAtMs, now), and(eq(t.status, 'in-progress'), lte(t.leaseUntilMs, now))),
          ),
        )
        .returning({ key: t.key });
      if (taken.length === 1) return true;
      const inserted = await q
        .insert(t)
        .values({ caller, key, ...values })
        .onConflictDoNothing()
        .returning({ key: t.key });
      return inserted.length === 1;
    });
  }

  /** Inside the transition's transaction (`tx`, a Drizzle transaction handle) when given. */
  async markCommitted(
    caller: string,
    key: string,
    token: string,
    committed: unknown,
    tx: unknown,
  ): Promise<void> {
    const t = this.table;
    const write = (q: Queries) =>
      q
        .update(t)
        .set({ status: 'committed', committed: JSON.stringify(committed) })
        .where(and(this.keyIs(caller, key), eq(t.token, token), eq(t.status, 'in-progress')))
        .returning({ key: t.key });
    let rows;
    if (tx === undefined) rows = await this.call(write);
    else if (is(tx, PgDatabase) || is(tx, BaseSQLiteDatabase))
      rows = await write(tx as unknown as Queries);
    else {
      throw new Error(
        "DrizzleIdempotencyStore marks keys committed inside the transition store's transaction, but that store is not a Drizzle store. " +
          'Use DrizzleTransitionStore on the same database, or an idempotency store of the same ORM as the transition store.',
      );
    }
    if (rows.length !== 1) throw new IdempotencyKeyLostError(key);
  }

  async complete(
    caller: string,
    key: string,
    token: string,
    response: StoredResponse,
  ): Promise<void> {
    const t = this.table;
    await this.call((q) =>
      q
        .update(t)
        .set({ status: 'completed', response: JSON.stringify(response) })
        .where(and(this.keyIs(caller, key), eq(t.token, token))),
    );
  }

  async release(caller: string, key: string, token: string): Promise<void> {
    const t = this.table;
    await this.call((q) =>
      q
        .delete(t)
        .where(and(this.keyIs(caller, key), eq(t.token, token), eq(t.status, 'in-progress'))),
    );
  }

  private keyIs(caller: string, key: string) {
    return and(eq(this.table.caller, caller), eq(this.table.key, key));
  }

  /** A database call of its own (not within a commit), mapped to StoreUnavailableError when down. */
  private call<T>(work: (q: Queries) => PromiseLike<T>): Promise<T> {
    return callDatabase('idempotency', () => this.connection.run('plain', async (q) => work(q)));
  }
}
