import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SqlTimerStore } from '../sql/sql-timer-store.js';
import { TransitionTimerEntry } from './timer.entity.js';
import { TypeOrmConnection } from './typeorm-connection.js';

/**
 * The timers of `after` transitions in TypeORM rows (`TransitionTimerEntry`; SQLite, PostgreSQL,
 * MySQL, MariaDB): the SQL core's timer store on the DataSource. Timers are armed in the
 * transactions of `TypeOrmTransitionStore`s on the same DataSource.
 *
 * @example
 * TransitionGuardModule.forRoot({ timers: { store: TypeOrmTimerStore } })
 */
@Injectable()
export class TypeOrmTimerStore extends SqlTimerStore {
  constructor(@Inject(DataSource) protected readonly dataSource: DataSource) {
    super(new TypeOrmConnection(dataSource, undefined, 'TypeOrmTimerStore'), 'TypeOrmTimerStore');
  }

  /** Checks at bootstrap that the timer entity is the DataSource's. */
  verify(): void {
    if (!this.dataSource.hasMetadata(TransitionTimerEntry)) {
      throw new Error(
        `TypeOrmTimerStore keeps timers in TransitionTimerEntry rows, but TransitionTimerEntry is not one of the DataSource's entities. ` +
          `Add it: import { TransitionTimerEntry } from 'nestjs-transition-guard/typeorm', then TypeOrmModule.forRoot({ entities: [..., TransitionTimerEntry] }), ` +
          `or with autoLoadEntities: true, TypeOrmModule.forFeature([TransitionTimerEntry]) in one of your modules.`,
      );
    }
  }
}
