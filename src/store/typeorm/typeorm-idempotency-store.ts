import { LessThanOrEqual, type DataSource, type EntityManager } from 'typeorm';
import type { IdempotencyRecord, IdempotencyStore, StoredResponse } from '../../http/index.js';
import { StoreUnavailableError } from '../store-errors.js';
import { IdempotencyKeyEntry } from './idempotency-key.entity.js';
import { isUnavailable } from './typeorm-transition-store.js';

const UNIQUE_VIOLATION = new Set([
  '23505',
  'SQLITE_CONSTRAINT_PRIMARYKEY',
  'SQLITE_CONSTRAINT_UNIQUE',
  'SQLITE_CONSTRAINT',
]);

/**
 * Idempotency keys in a TypeORM table (SQLite, PostgreSQL), shared by every process: `begin` is
 * one INSERT on the (caller, key) primary key, so exactly one of concurrent first requests wins;
 * `markCommitted` writes through the transition's own transaction.
 *
 * @example
 * TransitionGuardModule.forRoot({ idempotency: { store: TypeOrmIdempotencyStore } })
 */
export class TypeOrmIdempotencyStore implements IdempotencyStore {
  constructor(protected readonly dataSource: DataSource) {}

  async get(caller: string, key: string): Promise<IdempotencyRecord | null> {
    const row = await this.guard(() =>
      this.dataSource.getRepository(IdempotencyKeyEntry).findOneBy({ caller, key }),
    );
    if (!row || Number(row.expiresAtMs) <= Date.now()) return null;
    return {
      caller,
      key,
      fingerprint: row.fingerprint,
      status: row.status,
      expiresAt: new Date(Number(row.expiresAtMs)),
      ...(row.response ? { response: JSON.parse(row.response) as StoredResponse } : {}),
      ...(row.committed ? { committed: JSON.parse(row.committed) } : {}),
    };
  }

  async begin(caller: string, key: string, fingerprint: string, expiresAt: Date): Promise<boolean> {
    const repo = this.dataSource.getRepository(IdempotencyKeyEntry);
    try {
      await this.guard(async () => {
        await repo.delete({ caller, key, expiresAtMs: LessThanOrEqual(Date.now()) as never });
        await repo.insert({
          caller,
          key,
          fingerprint,
          status: 'in-progress',
          response: null,
          committed: null,
          expiresAtMs: expiresAt.getTime(),
        });
      });
      return true;
    } catch (err) {
      const code =
        (err as { driverError?: { code?: string }; code?: string }).driverError?.code ??
        (err as { code?: string }).code;
      if (code && UNIQUE_VIOLATION.has(code)) return false;
      throw err;
    }
  }

  async markCommitted(caller: string, key: string, committed: unknown, tx: unknown): Promise<void> {
    const manager = (tx as EntityManager | undefined) ?? this.dataSource.manager;
    await manager.update(
      IdempotencyKeyEntry,
      { caller, key },
      { status: 'committed', committed: JSON.stringify(committed) },
    );
  }

  async complete(caller: string, key: string, response: StoredResponse): Promise<void> {
    await this.guard(() =>
      this.dataSource
        .getRepository(IdempotencyKeyEntry)
        .update({ caller, key }, { status: 'completed', response: JSON.stringify(response) }),
    );
  }

  async release(caller: string, key: string): Promise<void> {
    await this.guard(() =>
      this.dataSource.getRepository(IdempotencyKeyEntry).delete({ caller, key }),
    );
  }

  private async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (isUnavailable(err)) throw new StoreUnavailableError('idempotency', { cause: err });
      throw err;
    }
  }
}
