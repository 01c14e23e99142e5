import { classifyDatabaseError } from '../database-failures.js';
import { callSql } from './sqlite-file.js';
import { idempotencyRecordOf, type IdempotencyRow } from '../idempotency-rows.js';
import type {
  IdempotencyClaim,
  IdempotencyRecord,
  IdempotencyStore,
  StoredResponse,
} from '../idempotency-store.interface.js';
import { IdempotencyKeyLostError } from '../store-errors.js';
import { IdempotencyStatements } from './idempotency-statements.js';
import { libraryNames } from './library-tables.js';
import {
  plainRow,
  type SqlConnection,
  type SqlQueries,
  type TableNames,
} from './sql-connection.js';

/**
 * An `IdempotencyStore` in SQL, on any ORM's connection (`SqlConnection`) and dialect (SQLite,
 * PostgreSQL, MySQL), keeping keys in `idempotency_keys`: the store under the TypeORM, Prisma,
 * Drizzle and MikroORM idempotency stores. Marking a key committed runs inside the transition's
 * transaction when the transition store is on the same connection: the state change and the key
 * commit together.
 *
 * @example
 * const keys = new SqlIdempotencyStore(connection); // the idempotency_keys table
 */
export class SqlIdempotencyStore implements IdempotencyStore {
  private statementsOf: IdempotencyStatements | undefined;
  private namesOf: TableNames | undefined;

  constructor(protected readonly connection: SqlConnection) {}

  private get names(): TableNames {
    return (this.namesOf ??= libraryNames(this.connection, 'idempotency_keys'));
  }

  /** The statements, built on first use (an ORM's table names are known once it has started). */
  private get sql(): IdempotencyStatements {
    return (this.statementsOf ??= new IdempotencyStatements(this.connection.dialect, this.names));
  }

  async get(caller: string, key: string): Promise<IdempotencyRecord | null> {
    const rows = await this.call((q) => q.query(this.sql.get, [caller, key]));
    const raw = rows.at(0);
    if (!raw) return idempotencyRecordOf(caller, key, undefined);
    const row = plainRow(raw);
    const field = (property: string) => row[this.names.column(property)];
    return idempotencyRecordOf(caller, key, {
      fingerprint: field('fingerprint'),
      token: field('token'),
      status: field('status'),
      response: field('response'),
      committed: field('committed'),
      leaseUntilMs: field('leaseUntilMs'),
      expiresAtMs: field('expiresAtMs'),
    } as IdempotencyRow);
  }

  /** Takes the key (see `IdempotencyStatements`): true when this claim holds it. */
  async claim(caller: string, key: string, claim: IdempotencyClaim): Promise<boolean> {
    const lease = claim.leaseUntil.getTime();
    const expires = claim.expiresAt.getTime();
    const now = Date.now();
    return this.call(async (q) => {
      const taken = await q.execute(this.sql.takeOver, [
        claim.fingerprint,
        claim.token,
        lease,
        expires,
        caller,
        key,
        now,
        now,
      ]);
      if (taken === 1) return true;
      try {
        const params = [caller, key, claim.fingerprint, claim.token, lease, expires];
        return (await q.execute(this.sql.insert, params)) === 1;
      } catch (err) {
        if (classifyDatabaseError(err) === 'duplicate') return false;
        throw err;
      }
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
      q.execute(this.sql.commit, [JSON.stringify(committed), caller, key, token]);
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
      q.execute(this.sql.complete, [JSON.stringify(response), caller, key, token]),
    );
  }

  async release(caller: string, key: string, token: string): Promise<void> {
    await this.call((q) => q.execute(this.sql.release, [caller, key, token]));
  }

  async renew(caller: string, key: string, token: string, leaseUntil: Date): Promise<boolean> {
    const params = [leaseUntil.getTime(), caller, key, token];
    return (await this.call((q) => q.execute(this.sql.renew, params))) === 1;
  }

  /** Deletes up to `limit` keys expired by `before`, in one statement. */
  async purge(before: Date, limit: number): Promise<number> {
    return this.call((q) => q.execute(this.sql.purge(limit), [before.getTime()]));
  }

  /** A database call of its own (not within a commit), mapped to StoreUnavailableError when down. */
  private call<T>(work: (q: SqlQueries) => Promise<T>): Promise<T> {
    return callSql(this.connection, 'idempotency', 'plain', work);
  }
}
