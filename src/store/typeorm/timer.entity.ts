import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One armed timer of an `after` transition, written in the transition's own transaction by
 * `TypeOrmTimerStore`. Add it to your TypeORM entities when a machine has `after` transitions.
 *
 * @example
 * TypeOrmModule.forRoot({ ..., entities: [Order, TransitionLogEntry, TransitionTimerEntry] });
 */
@Entity({ name: 'transition_timers' })
@Index('transition_timers_due', ['dueAtMs'])
@Index('transition_timers_owner', ['resource', 'resourceId', 'timer'], { unique: true })
export class TransitionTimerEntry {
  @PrimaryGeneratedColumn()
  id!: number;

  /** The resource's registered name ('order'). */
  @Column({ type: 'varchar', length: 100 })
  resource!: string;

  @Column({ type: 'varchar', length: 128 })
  resourceId!: string;

  /** XState's id of the `after` transition, also the event it sends. */
  @Column({ type: 'varchar', length: 256 })
  timer!: string;

  /** Due at (epoch milliseconds, the database's clock). */
  @Column({ type: 'bigint' })
  dueAtMs!: string;

  /** The version the arming transition wrote; null without a version. */
  @Column({ type: 'integer', nullable: true })
  armedVersion!: number | null;

  @Column({ type: 'bigint' })
  armedAtMs!: string;

  @Column({ type: 'varchar', length: 36, nullable: true })
  claim!: string | null;

  /** A firing loop's claim runs until (epoch milliseconds); 0 when unclaimed. */
  @Column({ type: 'bigint' })
  lockedUntilMs!: string;

  @Column({ type: 'integer' })
  attempts!: number;
}
