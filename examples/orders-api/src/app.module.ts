import { isUnavailable } from 'nestjs-transition-guard/store';
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppErrorFilter, TransitionGuardModule } from 'nestjs-transition-guard';
import {
  TypeOrmIdempotencyStore,
  TypeOrmOutboxStore,
  TypeOrmTimerStore,
} from 'nestjs-transition-guard/typeorm';
import type { NotifierFaults } from './notifications/notifier.js';
import { ArticlesModule } from './articles/articles.module.js';
import { databaseOptions, type DatabaseConfig } from './database.js';
import { MachinesController } from './machines/machines.controller.js';
import { DocsController, OpenApiHolder } from './docs/docs.controller.js';
import { OrdersModule } from './orders/orders.module.js';
import { JsonScalar, ordersTypeDefs } from './graphql/orders.graphql.js';
import { ormFromEnv } from './orm/orm.js';
import { ORDER_EVENTS, orderEventsClient } from './orders/order-events.transport.js';
import { paymentWindowMs } from './orders/order.resource.js';

// ORM=prisma|drizzle|mikro-orm: the order's stores, its Idempotency-Keys and the outbox on that
// ORM, on the tables TypeORM creates; TypeORM (the default) otherwise. Loaded only when asked for.
const orm = ormFromEnv();
const other =
  orm === 'typeorm'
    ? undefined
    : {
        orm,
        stores: (await import('./orm/orm-stores.js')).ormStores(orm),
        module: (await import('./orm/orm-module.js')).OrmModule,
      };

export interface AppOptions {
  database: DatabaseConfig;
  /** RFC 9457 problem+json bodies instead of plain JSON. */
  problemDetails?: boolean;
  /** Latency of the stand-in carrier/payment gateway, called between check and write. Default 0. */
  gatewayLatencyMs?: number;
  /** How long an Idempotency-Key attempt holds its key before a retry may take it over. Default 60. */
  idempotencyLeaseSeconds?: number;
  /** The outbox relay's timings (defaults: the library's, but 200 ms polls and 1 s first retry). */
  outbox?: {
    /** This process delivers (default true); false: it only writes, and notifies on PostgreSQL. */
    relay?: boolean;
    pollIntervalMs?: number;
    leaseSeconds?: number;
    maxAttempts?: number;
    baseMs?: number;
  };
  /** Faults injected into the notifier, for the fault tests. None in the demo. */
  notifierFaults?: NotifierFaults;
  /** GraphQL at /graphql: Apollo (on Express) or Mercurius (on Fastify); false for none. */
  graphql?: 'apollo' | 'mercurius' | false;
  /** Take order events as messages (createApp connects TCP when given a port). */
  messages?: boolean;
  /** Publish every committed order transition to a broker: redis://host:port or nats://host:port. */
  outboxTransport?: string;
}

/** The GraphQL module of the demo, on the driver asked for (loaded only then). */
async function graphqlModule(driver: 'apollo' | 'mercurius'): Promise<DynamicModule> {
  const { GraphQLModule } = await import('@nestjs/graphql');
  const schema = { typeDefs: ordersTypeDefs, resolvers: { JSON: JsonScalar }, path: '/graphql' };
  if (driver === 'mercurius') {
    const { MercuriusDriver } = await import('@nestjs/mercurius');
    return GraphQLModule.forRoot({ driver: MercuriusDriver, ...schema });
  }
  const { ApolloDriver } = await import('@nestjs/apollo');
  // No stack traces in answers (Apollo adds them unless NODE_ENV=production): causes are logged.
  return GraphQLModule.forRoot({
    driver: ApolloDriver,
    includeStacktraceInErrorResponses: false,
    ...schema,
  });
}

/** Demo only: a header stands in for authentication. A real app reads request.user. */
const header = (name: string) => (request: { headers: Record<string, unknown> }) => {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

@Module({})
export class AppModule {
  static async forRoot(options: AppOptions): Promise<DynamicModule> {
    const stores = other?.stores;
    const graphql = options.graphql ?? 'apollo';
    const transport = options.outboxTransport;
    return {
      module: AppModule,
      imports: [
        ...(graphql ? [await graphqlModule(graphql)] : []),
        TypeOrmModule.forRootAsync({
          useFactory: () => databaseOptions(options.database),
          // The schema synchronized first, then the migrations that move rows of a renamed
          // state (transition-guard migrate), before the stored-state check at bootstrap.
          dataSourceFactory: async (dataSourceOptions) => {
            if (!dataSourceOptions) throw new Error('no TypeORM options');
            const dataSource = await new DataSource(dataSourceOptions).initialize();
            await dataSource.runMigrations();
            return dataSource;
          },
        }),
        ...(other ? [other.module.forRoot(other.orm, options.database)] : []),
        ...(transport ? [await orderEventsClient(transport)] : []),
        TransitionGuardModule.forRoot({
          problemDetails: options.problemDetails ?? false,
          // Demo only: roles and the caller's identity come from headers (X-User-Role,
          // X-User-Id). A real app leaves request.user to its auth guard, which the defaults read.
          getRoles: header('x-user-role'),
          getActor: header('x-user-id'),
          // The demo's own routes answer 503 too while the database is down.
          isStoreUnavailable: isUnavailable,
          // Idempotency-Key records live in the database, next to the orders.
          idempotency: {
            store: stores?.keys ?? TypeOrmIdempotencyStore,
            leaseSeconds: options.idempotencyLeaseSeconds ?? 60,
          },
          // Notifications go through the transactional outbox, in the same database.
          outbox: {
            store: stores?.outbox ?? TypeOrmOutboxStore,
            relay: options.outbox?.relay ?? true,
            // On PostgreSQL the relays of other processes are woken by LISTEN/NOTIFY.
            ...('postgres' in options.database
              ? { notify: { url: options.database.postgres } }
              : {}),
            pollIntervalMs: options.outbox?.pollIntervalMs ?? 200,
            leaseSeconds: options.outbox?.leaseSeconds ?? 30,
            maxAttempts: options.outbox?.maxAttempts ?? 10,
            backoff: { baseMs: options.outbox?.baseMs ?? 1000 },
            // OUTBOX_TRANSPORT: every order transition to the broker too, in commit order.
            publish: transport ? [{ client: ORDER_EVENTS, resource: 'order' }] : [],
          },
          // PAYMENT_WINDOW: the window's timers in the database, next to the orders; every
          // process fires the due ones (each exactly once), polling every second.
          ...(paymentWindowMs
            ? { timers: { store: stores?.timers ?? TypeOrmTimerStore, pollIntervalMs: 1000 } }
            : {}),
        }),
        OrdersModule.register({
          gatewayLatencyMs: options.gatewayLatencyMs ?? 0,
          notifierFaults: options.notifierFaults ?? {},
          graphql: graphql !== false,
          messages: options.messages ?? false,
        }),
        ArticlesModule,
      ],
      controllers: [MachinesController, DocsController],
      // Every error of the app in one format (plain or RFC 9457), 503 while the database is down.
      providers: [{ provide: APP_FILTER, useClass: AppErrorFilter }, OpenApiHolder],
    };
  }
}
