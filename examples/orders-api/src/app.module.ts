import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TransitionGuardModule } from 'nestjs-transition-guard';
import { ArticlesModule } from './articles/articles.module.js';
import { databaseOptions, type DatabaseConfig } from './database.js';
import { MachinesController } from './machines/machines.controller.js';
import { OrdersModule } from './orders/orders.module.js';
import { DemoIdempotencyStore } from './idempotency.store.js';

export interface AppOptions {
  database: DatabaseConfig;
  /** RFC 9457 problem+json bodies instead of plain JSON. */
  problemDetails?: boolean;
  /** Latency of the stand-in carrier/payment gateway, called between check and write. Default 0. */
  gatewayLatencyMs?: number;
}

@Module({})
export class AppModule {
  static forRoot(options: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot(databaseOptions(options.database)),
        TransitionGuardModule.forRoot({
          problemDetails: options.problemDetails ?? false,
          // Ids are the tables' integer keys.
          idPattern: /^[0-9]{1,15}$/,
          // Demo only: the caller's role comes from a header. A real app reads request.user.
          getRoles: (request) => request.headers['x-user-role'],
          // Idempotency-Key records live in the database, next to the orders.
          idempotency: { store: DemoIdempotencyStore },
        }),
        OrdersModule.withGatewayLatency(options.gatewayLatencyMs ?? 0),
        ArticlesModule,
      ],
      controllers: [MachinesController],
    };
  }
}
