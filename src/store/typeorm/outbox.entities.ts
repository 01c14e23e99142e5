import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One message of the transactional outbox: a committed transition to deliver to one handler,
 * written in the transition's own transaction by `TypeOrmOutboxStore`. Add it (and
 * `HandledTransitionEntry`) to your TypeORM entities when you use the outbox.
 *
 * @example
 * TypeOrmModule.forRoot({ ..., entities: [Order, TransitionLogEntry, TransitionOutboxEntry, HandledTransitionEntry] });
 */
@Entity({ name: 'transition_outbox' })
@Index(['status', 'availableAtMs'])
// Through these a claim reads only the messages still waiting, however many delivered ones
// retention keeps (see OutboxStatements). Partial on PostgreSQL and SQLite; TypeORM leaves
// `where` out on MySQL, where the claim reads the primary key and `transition_outbox_pending`
// serves `list()`.
@Index('transition_outbox_pending', ['status', 'id'], { where: "status = 'pending'" })
@Index('transition_outbox_order', ['resourceKey', 'handler', 'status', 'id'], {
  where: "status = 'pending'",
})
export class TransitionOutboxEntry {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 36 })
  transitionId!: string;

  /** The handler's name (`Class.method`). */
  @Column({ type: 'varchar', length: 200 })
  handler!: string;

  /**
   * `resource:id`: a handler's messages of one resource are delivered in commit order. The
   * default lets the column be added to a table that holds messages (they share the key '').
   */
  @Column({ type: 'varchar', length: 300, default: '' })
  resourceKey!: string;

  /** The transition (JSON of its record). */
  @Column({ type: 'text' })
  record!: string;

  /** The event's payload (JSON). */
  @Column({ type: 'text' })
  payload!: string;

  /** `pending`, `delivered` (kept for retention) or `dead`. */
  @Column({ type: 'varchar', length: 10 })
  status!: string;

  @Column({ type: 'integer' })
  attempts!: number;

  /** Not delivered before (epoch milliseconds). */
  @Column({ type: 'bigint' })
  availableAtMs!: string;

  /** A relay's claim runs until (epoch milliseconds); 0 when unclaimed. */
  @Column({ type: 'bigint' })
  lockedUntilMs!: string;

  @Column({ type: 'varchar', length: 36, nullable: true })
  claim!: string | null;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  lastError!: string | null;

  @Column({ type: 'bigint' })
  createdAtMs!: string;
}

/**
 * A (transition, handler) pair already handled, written by `delivery.once()` in the same
 * transaction as the handler's own writes: a second delivery finds it and does nothing.
 *
 * @example
 * await dataSource.getRepository(HandledTransitionEntry).countBy({ handler: 'Notifier.notify' });
 */
@Entity({ name: 'transition_handled' })
export class HandledTransitionEntry {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  transitionId!: string;

  @PrimaryColumn({ type: 'varchar', length: 200 })
  handler!: string;

  @Column({ type: 'bigint' })
  handledAtMs!: string;
}
