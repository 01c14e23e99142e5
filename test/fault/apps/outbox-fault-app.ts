import 'reflect-metadata';
import { Controller, Get, Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { ModuleRef, NestFactory } from '@nestjs/core';
import { OnTransition, TransitionService } from '../../../src/index.js';
import { AppModule } from '../../../examples/orders-api/src/app.module.js';
import { Notifier } from '../../../examples/orders-api/src/notifications/notifier.js';
import { order } from '../../../examples/orders-api/src/orders/order.resource.js';

/**
 * The demo on PostgreSQL with faults, for test/fault/outbox-crash: the notifier fails each
 * delivery's first attempts (orders with an id multiple of NOTIFY_FAIL_EVERY) and may kill this
 * process right after a write (NOTIFY_CRASH_AFTER); an exporter fails every time (its messages
 * end as dead letters); a ledger hook inside the commit rolls back every PAY with the comment
 * 'ledger: refuse' (a transition that never commits). Prints "orders-api on <url>" once it listens.
 */
@Injectable()
class Exporter {
  @OnTransition(order, { event: 'CANCEL' })
  export(): never {
    throw new Error('export endpoint answered 503');
  }
}

@Injectable()
class Ledger implements OnModuleInit {
  constructor(@Inject(TransitionService) private readonly transitions: TransitionService) {}
  onModuleInit() {
    this.transitions.onTransition({
      resource: 'order',
      event: 'PAY',
      beforeCommit: (record) => {
        if (record.comment === 'ledger: refuse') throw new Error('ledger refused the entry');
      },
    });
  }
}

@Controller('fault')
class FaultController {
  constructor(@Inject(ModuleRef) private readonly modules: ModuleRef) {}
  @Get('stats')
  stats() {
    return { skipped: this.modules.get(Notifier, { strict: false }).skipped };
  }
}

const env = process.env;
@Module({
  imports: [
    AppModule.forRoot({
      database: { postgres: env.DATABASE_URL ?? '' },
      idempotencyLeaseSeconds: 2,
      outbox: { pollIntervalMs: 50, leaseSeconds: 2, maxAttempts: 5, baseMs: 20 },
      notifierFaults: {
        failFirst: Number(env.NOTIFY_FAIL_FIRST ?? 0),
        failEvery: Number(env.NOTIFY_FAIL_EVERY ?? 1),
        crashAfter: env.NOTIFY_CRASH_AFTER ? Number(env.NOTIFY_CRASH_AFTER) : undefined,
      },
    }),
  ],
  controllers: [FaultController],
  providers: [Exporter, Ledger],
})
class FaultAppModule {}

const app = await NestFactory.create(FaultAppModule, { logger: ['error'] });
app.enableShutdownHooks();
// Idle keep-alive sockets stay open longer than clients keep them (Node closes them after 5 s:
// a client reusing one just as it closes gets 'socket hang up').
(app.getHttpServer() as { keepAliveTimeout: number }).keepAliveTimeout = 65_000;
await app.listen(0, '127.0.0.1');
console.log(`orders-api on ${(await app.getUrl()).replace('[::1]', '127.0.0.1')}`);
