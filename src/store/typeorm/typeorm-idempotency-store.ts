import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SqlIdempotencyStore } from '../sql/sql-idempotency-store.js';
import { IdempotencyKeyEntry } from './idempotency-key.entity.js';
import { TypeOrmConnection } from './typeorm-connection.js';

/**
 * An `IdempotencyStore` in a TypeORM table (`IdempotencyKeyEntry`; SQLite, PostgreSQL, MySQL,
 * MariaDB): the SQL core's store on the DataSource. A key is taken by one conditional UPDATE
 * (an expired key, or an in-progress one whose lease ended) or an INSERT: exactly one of
 * concurrent claims wins. `markCommitted` writes through the transition's own transaction and
 * fails (rolling it back) when the attempt lost its key.
 *
 * @example
 * TransitionGuardModule.forRoot({ idempotency: { store: TypeOrmIdempotencyStore } })
 */
@Injectable()
export class TypeOrmIdempotencyStore extends SqlIdempotencyStore {
  constructor(@Inject(DataSource) protected readonly dataSource: DataSource) {
    super(new TypeOrmConnection(dataSource, undefined, 'TypeOrmIdempotencyStore'));
  }

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
}
