import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SqlOutboxStore } from '../sql/sql-outbox-store.js';
import { HandledTransitionEntry, TransitionOutboxEntry } from './outbox.entities.js';
import { TypeOrmConnection } from './typeorm-connection.js';

/**
 * The transactional outbox in TypeORM tables (`TransitionOutboxEntry`, `HandledTransitionEntry`;
 * SQLite, PostgreSQL, MySQL, MariaDB): the SQL core's outbox on the DataSource. Messages commit
 * with the transitions of `TypeOrmTransitionStore`s on the same DataSource; relays claim them so
 * that relays in several processes never hold one message at once; `delivery.once(tx => ...)`
 * gives the transaction's `EntityManager`.
 *
 * @example
 * TransitionGuardModule.forRoot({ outbox: { store: TypeOrmOutboxStore } })
 */
@Injectable()
export class TypeOrmOutboxStore extends SqlOutboxStore {
  constructor(@Inject(DataSource) protected readonly dataSource: DataSource) {
    super(new TypeOrmConnection(dataSource, undefined, 'TypeOrmOutboxStore'), 'TypeOrmOutboxStore');
  }

  /** Checks at bootstrap that both outbox entities are the DataSource's. */
  verify(): void {
    for (const entity of [TransitionOutboxEntry, HandledTransitionEntry]) {
      if (!this.dataSource.hasMetadata(entity)) {
        throw new Error(
          `TypeOrmOutboxStore keeps messages in TransitionOutboxEntry rows and handled transitions in HandledTransitionEntry rows, ` +
            `but ${entity.name} is not one of the DataSource's entities. Add both: import { TransitionOutboxEntry, HandledTransitionEntry } ` +
            `from 'nestjs-transition-guard/typeorm', then TypeOrmModule.forRoot({ entities: [..., TransitionOutboxEntry, HandledTransitionEntry] }), ` +
            `or with autoLoadEntities: true, TypeOrmModule.forFeature([TransitionOutboxEntry, HandledTransitionEntry]) in one of your modules.`,
        );
      }
    }
  }
}
