import { Module, type DynamicModule } from '@nestjs/common';
import type { DatabaseConfig } from '../database.js';
import { NOTIFICATION_WRITER, ORM_HANDLE, type Orm } from './orm.js';
import { ormProviders, ormStores } from './orm-stores.js';

/** The chosen ORM's handle and the notifier's writer on it, for every module (ORM != typeorm). */
@Module({})
export class OrmModule {
  static forRoot(orm: Exclude<Orm, 'typeorm'>, database: DatabaseConfig): DynamicModule {
    const providers = ormProviders(ormStores(orm), database);
    return {
      global: true,
      module: OrmModule,
      providers,
      exports: [ORM_HANDLE, NOTIFICATION_WRITER],
    };
  }
}
