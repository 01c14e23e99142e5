import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One committed transition, written in the same transaction as the state change by
 * `TypeOrmTransitionStore` when `log: true`. Add it to your TypeORM entities.
 *
 * @example
 * TypeOrmModule.forRoot({ type: 'better-sqlite3', database: 'app.sqlite', entities: [Order, TransitionLogEntry] });
 */
@Entity({ name: 'transition_log' })
@Index(['resource', 'resourceId'])
export class TransitionLogEntry {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 100 })
  resource!: string;

  @Column({ type: 'varchar', length: 128 })
  resourceId!: string;

  @Column({ type: 'varchar', length: 256 })
  event!: string;

  /** The state before, as stored (JSON for parallel state values). */
  @Column({ type: 'varchar', length: 1024, name: 'from_state' })
  from!: string;

  @Column({ type: 'varchar', length: 1024, name: 'to_state' })
  to!: string;

  /** The resource's version after this transition. */
  @Column({ type: 'integer', nullable: true })
  version!: number | null;

  @Column({ type: 'varchar', length: 256, nullable: true })
  actor!: string | null;

  @Column({ type: 'varchar', length: 40 })
  at!: string;
}
