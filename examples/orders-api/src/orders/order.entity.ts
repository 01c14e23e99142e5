import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/** An order row. `status` holds the order machine's state; `version` counts committed transitions. */
@Entity({ name: 'orders' })
export class Order {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 64, default: 'pending' })
  status!: string;

  /** In cents. */
  @Column({ type: 'integer', default: 0 })
  total!: number;

  /** In cents. */
  @Column({ type: 'integer', default: 0 })
  paid!: number;

  @Column({ type: 'varchar', length: 64, nullable: true })
  carrier!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  trackingNumber!: string | null;

  /**
   * Who created it (X-User-Id): only they, and callers with the role `support`, see the order,
   * its history and its notifications. Null for an order created anonymously: anyone sees it.
   */
  @Column({ type: 'varchar', length: 256, nullable: true, default: null })
  ownerId!: string | null;

  /** Committed transitions so far: 0 for a new order. */
  @Column({ type: 'integer', default: 0 })
  version!: number;

  @CreateDateColumn()
  createdAt!: Date;

  @UpdateDateColumn()
  updatedAt!: Date;
}
