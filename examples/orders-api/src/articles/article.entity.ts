import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An article row. `status` holds the article machine's state as a dotted path ('review.in_review'). */
@Entity({ name: 'articles' })
export class Article {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 200 })
  title!: string;

  @Column({ type: 'varchar', length: 64, default: 'draft' })
  status!: string;

  @Column({ type: 'integer', default: 0 })
  wordCount!: number;

  @Column({ type: 'boolean', default: false })
  legalHold!: boolean;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  lastComment!: string | null;

  /** Committed transitions so far. */
  @Column({ type: 'integer', default: 0 })
  version!: number;
}
