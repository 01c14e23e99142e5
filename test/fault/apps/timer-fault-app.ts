import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { EntityManager } from 'typeorm';
import {
  AppErrorFilter,
  OnTransition,
  TransitionGuardModule,
  type TransitionDelivery,
} from '../../../src/index.js';
import {
  HandledTransitionEntry,
  TransitionLogEntry,
  TransitionOutboxEntry,
  TransitionTimerEntry,
  TypeOrmOutboxStore,
  TypeOrmTimerStore,
} from '../../../src/store/typeorm/index.js';
import { isUnavailable } from '../../../src/store/index.js';
import { invoice, Invoice, InvoicesController, TIMER } from '../../support/invoices.js';

/**
 * One app instance of test/fault/timers-crash: invoices on PostgreSQL (DATABASE_URL) or on a
 * SQLite file (SQLITE_FILE), the firing loop polling every 100 ms with 2 s leases (a killed
 * instance's claims are taken over quickly), and an @OnTransition handler that records each
 * expiry once (`delivery.once`) in `expiries`. Prints "timers-app on <url>" once it listens.
 */
@Injectable()
class Expiries {
  // The timer's event, as the log names it (its XState id).
  @OnTransition(invoice, { event: TIMER })
  async record(delivery: TransitionDelivery<EntityManager>) {
    await delivery.once((tx) =>
      tx.query(`INSERT INTO expiries (invoice_id, actor) VALUES (${PLACEHOLDERS})`, [
        delivery.record.resourceId,
        delivery.record.actor,
      ]),
    );
  }
}

const PLACEHOLDERS = process.env.SQLITE_FILE ? '?, ?' : '$1, $2';
const entities = [
  Invoice,
  TransitionLogEntry,
  TransitionOutboxEntry,
  HandledTransitionEntry,
  TransitionTimerEntry,
];

@Module({
  imports: [
    TypeOrmModule.forRoot(
      process.env.SQLITE_FILE
        ? {
            type: 'better-sqlite3',
            database: process.env.SQLITE_FILE,
            entities,
            enableWAL: true,
            // As the demo: a lock held longer is SQLITE_BUSY (a 503, retried), not a stalled loop.
            timeout: 50,
          }
        : { type: 'postgres', url: process.env.DATABASE_URL, entities, poolSize: 12 },
    ),
    TransitionGuardModule.forRoot({
      // The app's own routes (creating an invoice) answer 503 too when the database is down or
      // SQLite's lock is held too long: the test retries those.
      isStoreUnavailable: isUnavailable,
      timers: { store: TypeOrmTimerStore, pollIntervalMs: 100, leaseSeconds: 2 },
      outbox: { store: TypeOrmOutboxStore, pollIntervalMs: 100, leaseSeconds: 2, batchSize: 50 },
    }),
    TransitionGuardModule.forFeature([invoice]),
  ],
  controllers: [InvoicesController],
  providers: [Expiries, { provide: APP_FILTER, useClass: AppErrorFilter }],
})
class TimerFaultAppModule {}

const app = await NestFactory.create(TimerFaultAppModule, { logger: ['error'] });
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
console.log(`timers-app on ${(await app.getUrl()).replace('[::1]', '127.0.0.1')}`);
