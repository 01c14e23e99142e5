import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One committed transition, written in the same transaction as the state change by
 * `TypeOrmTransitionStore` when `log: true`. Add it to your TypeORM entities. The audit columns
 * (`reason` to `correlationId`) are nullable, so that they can be added to an existing table.
 *
 * @example
 * TypeOrmModule.forRoot({ type: 'better-sqlite3', database: 'app.sqlite', entities: [Order, TransitionLogEntry] });
 */
@Entity({ name: 'transition_log' })
@Index(['resource', 'resourceId', 'id'])
export class TransitionLogEntry {
  @PrimaryGeneratedColumn()
  id!: number;

  /** The transition's own id (a UUID), as outbox deliveries carry it. */
  @Column({ type: 'varchar', length: 36, nullable: true })
  transitionId!: string | null;

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

  /** The caller, or `system:<name>`. */
  @Column({ type: 'varchar', length: 256, nullable: true })
  actor!: string | null;

  @Column({ type: 'varchar', length: 40 })
  at!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  reason!: string | null;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  comment!: string | null;

  /** JSON. */
  @Column({ type: 'text', nullable: true })
  metadata!: string | null;

  /** A hash of the machine's definition. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  machineVersion!: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  correlationId!: string | null;
}
