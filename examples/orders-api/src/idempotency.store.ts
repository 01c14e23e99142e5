import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TypeOrmIdempotencyStore } from 'nestjs-transition-guard/typeorm';

/** Idempotency keys in the demo's database, shared by every process (see the PostgreSQL race). */
@Injectable()
export class DemoIdempotencyStore extends TypeOrmIdempotencyStore {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource);
  }
}
