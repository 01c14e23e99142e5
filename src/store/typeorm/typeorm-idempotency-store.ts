import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type {
  IdempotencyClaim,
  IdempotencyRecord,
  IdempotencyStore,
  StoredResponse,
} from '../idempotency-store.interface.js';
import { IdempotencyKeyLostError } from '../store-errors.js';
import { IdempotencyKeyEntry } from './idempotency-key.entity.js';
import { callDatabase } from '../database-failures.js';
import { claimedValues, idempotencyRecordOf } from '../idempotency-rows.js';
import { onConnection } from './connection-queue.js';

const UNIQUE_VIOLATION = /^(23505|SQLITE_CONSTRAINT)/;

/**
 * Idempotency keys in a TypeORM table (SQLite, PostgreSQL), shared by every process. `claim` is
 * one INSERT on the (caller, key) primary key, or one conditional UPDATE taking over a key whose
 * lease ended: exactly one of concurrent claims wins. `markCommitted` writes through the
 * transition's own transaction and fails (rolling it back) when the attempt lost its key.
 *
 * @example
 * TransitionGuardModule.forRoot({ idempotency: { store: TypeOrmIdempotencyStore } })
 */
@Injectable()
export class TypeOrmIdempotencyStore implements IdempotencyStore {
  constructor(@Inject(DataSource) protected readonly dataSource: DataSource) {}

  /** Checks at bootstrap that `IdempotencyKeyEntry` is one of the DataSource's entities. */
  verify(): void {
    if (!this.dataSource.hasMetadata(IdempotencyKeyEntry)) {
      throw new Error(
        `TypeOrmIdempotencyStore keeps keys in IdempotencyKeyEntry rows, but IdempotencyKeyEntry is not one of the DataSource's entities. ` +
          `Add it: import { IdempotencyKeyEntry } from 'nestjs-transition-guard/typeorm', then TypeOrmModule.forRoot({ entities: [..., IdempotencyKeyEntry] }), ` +
          `or with autoLoadEntities: true, TypeOrmModule.forFeature([IdempotencyKeyEntry]) in one of your modules.`,
      );
    }
  }

  async get(caller: string, key: string): Promise<IdempotencyRecord | null> {
    const row = await this.call(() =>
      this.dataSource.getRepository(IdempotencyKeyEntry).findOneBy({ caller, key }),
    );
    return idempotencyRecordOf(caller, key, row);
  }

  async claim(caller: string, key: string, claim: IdempotencyClaim): Promise<boolean> {
    const values = claimedValues(claim);
    const now = Date.now();
    return this.call(async () => {
      // Take over an expired key, or an in-progress one whose lease ended: one conditional UPDATE.
      const taken = await this.dataSource
        .createQueryBuilder()
        .update(IdempotencyKeyEntry)
        .set(values)
        .where('caller = :caller AND "key" = :key', { caller, key })
        .andWhere('("expiresAtMs" <= :now OR (status = :inProgress AND "leaseUntilMs" <= :now))', {
          now,
          inProgress: 'in-progress',
        })
        .execute();
      if (taken.affected === 1) return true;
      try {
        await this.dataSource.getRepository(IdempotencyKeyEntry).insert({ caller, key, ...values });
        return true;
      } catch (err) {
        const e = err as { driverError?: { code?: unknown }; code?: unknown };
        const code = e.driverError?.code ?? e.code;
        if (typeof code === 'string' && UNIQUE_VIOLATION.test(code)) return false;
        throw err;
      }
    });
  }

  async markCommitted(
    caller: string,
    key: string,
    token: string,
    committed: unknown,
    tx: unknown,
  ): Promise<void> {
    const manager = (tx as EntityManager | undefined) ?? this.dataSource.manager;
    const result = await manager.update(
      IdempotencyKeyEntry,
      { caller, key, token, status: 'in-progress' },
      { status: 'committed', committed: JSON.stringify(committed) },
    );
    if (result.affected !== 1) throw new IdempotencyKeyLostError(key);
  }

  async complete(
    caller: string,
    key: string,
    token: string,
    response: StoredResponse,
  ): Promise<void> {
    await this.call(() =>
      this.dataSource
        .getRepository(IdempotencyKeyEntry)
        .update(
          { caller, key, token },
          { status: 'completed', response: JSON.stringify(response) },
        ),
    );
  }

  async release(caller: string, key: string, token: string): Promise<void> {
    await this.call(() =>
      this.dataSource
        .getRepository(IdempotencyKeyEntry)
        .delete({ caller, key, token, status: 'in-progress' }),
    );
  }

  /** A database call of its own (not within a commit), mapped to StoreUnavailableError when down. */
  private call<T>(work: () => Promise<T>): Promise<T> {
    return callDatabase('idempotency', () => onConnection(this.dataSource, work));
  }
}
