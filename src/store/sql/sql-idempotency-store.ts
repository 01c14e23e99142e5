import { callDatabase } from '../database-failures.js';
import { idempotencyRecordOf, type IdempotencyRow } from '../idempotency-rows.js';
import type {
  IdempotencyClaim,
  IdempotencyRecord,
  IdempotencyStore,
  StoredResponse,
} from '../idempotency-store.interface.js';
import { IdempotencyKeyLostError } from '../store-errors.js';
import { plainRow, type SqlConnection, type SqlQueries } from './sql-connection.js';

/**
 * An `IdempotencyStore` in raw SQL on an ORM's connection (`SqlConnection`), for SQLite and
 * PostgreSQL, keeping keys in `idempotency_keys`: the core of `PrismaIdempotencyStore` and
 * `MikroOrmIdempotencyStore`. Marking a key committed runs inside the transition's transaction
 * when the transition store is of the same ORM: the state change and the key commit together.
 *
 * @example
 * const keys = new SqlIdempotencyStore(connection); // the idempotency_keys table
 */
export class SqlIdempotencyStore implements IdempotencyStore {
  constructor(protected readonly connection: SqlConnection) {}

  async get(caller: string, key: string): Promise<IdempotencyRecord | null> {
    const rows = await this.call((q) =>
      q.query(
        `SELECT * FROM "idempotency_keys" WHERE "caller" = ${this.p(1)} AND "key" = ${this.p(2)}`,
        [caller, key],
      ),
    );
    return idempotencyRecordOf(
      caller,
      key,
      rows[0] ? (plainRow(rows[0]) as unknown as IdempotencyRow) : undefined,
    );
  }

  /**
   * Takes the key: one conditional UPDATE over an expired key or an in-progress one whose lease
   * ended, else an INSERT ... ON CONFLICT DO NOTHING. True when this claim holds it.
   */
  async claim(caller: string, key: string, claim: IdempotencyClaim): Promise<boolean> {
    const p = (n: number) => this.p(n);
    const lease = claim.leaseUntil.getTime();
    const expires = claim.expiresAt.getTime();
    const now = Date.now();
    return this.call(async (q) => {
      const taken = await q.execute(
        `UPDATE "idempotency_keys" SET "fingerprint" = ${p(1)}, "token" = ${p(2)}, "status" = 'in-progress', ` +
          `"response" = NULL, "committed" = NULL, "leaseUntilMs" = ${p(3)}, "expiresAtMs" = ${p(4)} ` +
          `WHERE "caller" = ${p(5)} AND "key" = ${p(6)} AND ("expiresAtMs" <= ${p(7)} OR ("status" = 'in-progress' AND "leaseUntilMs" <= ${p(8)}))`,
        [claim.fingerprint, claim.token, lease, expires, caller, key, now, now],
      );
      if (taken === 1) return true;
      const inserted = await q.execute(
        `INSERT INTO "idempotency_keys" ("caller", "key", "fingerprint", "token", "status", "leaseUntilMs", "expiresAtMs") ` +
          `VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, 'in-progress', ${p(5)}, ${p(6)}) ON CONFLICT DO NOTHING`,
        [caller, key, claim.fingerprint, claim.token, lease, expires],
      );
      return inserted === 1;
    });
  }

  /** Inside the transition's transaction (`tx`, the ORM's transaction handle) when given. */
  async markCommitted(
    caller: string,
    key: string,
    token: string,
    committed: unknown,
    tx: unknown,
  ): Promise<void> {
    const write = (q: SqlQueries) =>
      q.execute(
        `UPDATE "idempotency_keys" SET "status" = 'committed', "committed" = ${this.p(1)} ` +
          `WHERE "caller" = ${this.p(2)} AND "key" = ${this.p(3)} AND "token" = ${this.p(4)} AND "status" = 'in-progress'`,
        [JSON.stringify(committed), caller, key, token],
      );
    let count: number;
    const inTransaction = tx === undefined ? undefined : this.connection.queriesOf(tx);
    if (tx === undefined) count = await this.call(write);
    else if (inTransaction) count = await write(inTransaction);
    else {
      throw new Error(
        `${this.constructor.name} marks keys committed inside the transition store's transaction, but that store is of another ORM. ` +
          "Use a transition store of the same ORM on the same database, or an idempotency store of the transition store's ORM.",
      );
    }
    if (count !== 1) throw new IdempotencyKeyLostError(key);
  }

  async complete(
    caller: string,
    key: string,
    token: string,
    response: StoredResponse,
  ): Promise<void> {
    await this.call((q) =>
      q.execute(
        `UPDATE "idempotency_keys" SET "status" = 'completed', "response" = ${this.p(1)} ` +
          `WHERE "caller" = ${this.p(2)} AND "key" = ${this.p(3)} AND "token" = ${this.p(4)}`,
        [JSON.stringify(response), caller, key, token],
      ),
    );
  }

  async release(caller: string, key: string, token: string): Promise<void> {
    await this.call((q) =>
      q.execute(
        `DELETE FROM "idempotency_keys" WHERE "caller" = ${this.p(1)} AND "key" = ${this.p(2)} ` +
          `AND "token" = ${this.p(3)} AND "status" = 'in-progress'`,
        [caller, key, token],
      ),
    );
  }

  private p(n: number): string {
    return this.connection.placeholder(n);
  }

  /** A database call of its own (not within a commit), mapped to StoreUnavailableError when down. */
  private call<T>(work: (q: SqlQueries) => Promise<T>): Promise<T> {
    return callDatabase('idempotency', () => this.connection.run('plain', work));
  }
}
