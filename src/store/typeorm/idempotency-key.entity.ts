import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One caller's idempotency key, for `TypeOrmIdempotencyStore`. Add it to your TypeORM entities. *
 * @example
 * TypeOrmModule.forRoot({ type: 'postgres', url, entities: [Order, IdempotencyKeyEntry, TransitionLogEntry] });
 */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKeyEntry {
  @PrimaryColumn({ type: 'varchar', length: 256 })
  caller!: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  key!: string;

  @Column({ type: 'varchar', length: 64 })
  fingerprint!: string;

  /** The attempt holding the key. */
  @Column({ type: 'varchar', length: 64 })
  token!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: 'in-progress' | 'committed' | 'completed';

  /** The stored response, JSON. */
  @Column({ type: 'text', nullable: true })
  response!: string | null;

  /** What was committed, JSON (status `committed`). */
  @Column({ type: 'text', nullable: true })
  committed!: string | null;

  /** End of the holding attempt's lease, in milliseconds since the epoch. */
  @Column({ type: 'bigint' })
  leaseUntilMs!: string | number;

  /** Expiry, in milliseconds since the epoch (indexed: expired keys are purged by it). */
  @Index('idempotency_keys_expires')
  @Column({ type: 'bigint' })
  expiresAtMs!: string | number;
}
