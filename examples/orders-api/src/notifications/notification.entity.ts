import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A notification "sent" for an order: a row here stands in for an email. */
@Entity({ name: 'notifications' })
@Index(['orderId'])
export class Notification {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'integer' })
  orderId!: number;

  /** The event it tells about: PAY, SHIP, CANCEL or the payment window's timer (its XState id). */
  @Column({ type: 'varchar', length: 64 })
  event!: string;

  /** The transition it tells about (one notification per transition: see Notifier). */
  @Column({ type: 'varchar', length: 36 })
  transitionId!: string;

  @Column({ type: 'varchar', length: 300 })
  text!: string;

  @CreateDateColumn()
  sentAt!: Date;
}
