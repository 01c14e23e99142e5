import 'reflect-metadata';
import {
  Body,
  ConflictException,
  Controller,
  HttpCode,
  Inject,
  Injectable,
  Module,
  Param,
  Post,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type Repository } from 'typeorm';
import {
  CurrentTransition,
  defineResource,
  Transition,
  TransitionGuardModule,
  TransitionService,
} from '../../src/index.js';
import { TransitionLogEntry, TypeOrmTransitionStore } from '../../src/store/typeorm/index.js';
import { orderMachine } from '../../machines/order.machine.js';
import { Order } from '../../examples/orders-api/src/orders/order.entity.js';

/**
 * The demo's order store without the transition log: (a) then writes what (b) and (c) write, one
 * compare-and-set UPDATE instead of their plain UPDATE, and the comparison is like for like.
 */
@Injectable()
class BenchOrderStore extends TypeOrmTransitionStore<Order, { total: number; paid: number }> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, {
      entity: Order,
      name: 'order',
      stateProperty: 'status',
      versionProperty: 'version',
      context: (o) => ({ total: o.total, paid: o.paid }),
    });
  }
}
const order = defineResource({ resource: 'order', machine: orderMachine, store: BenchOrderStore });

/**
 * The same route three ways, on the same database, for the HTTP benchmark:
 *   (a) /a: @Transition + TransitionService.commit (compare-and-set);
 *   (b) /b: hand-written: load the row, `if (status !== ...) throw new ConflictException()`, update;
 *   (c) /c: XState directly: load, `resolveState().can()`, update.
 * PAY with a partial amount is always legal from pending (the order stays pending); SHIP on a
 * cancelled order is always refused (409).
 */
@Injectable()
class HandWritten {
  constructor(@InjectRepository(Order) private readonly orders: Repository<Order>) {}

  async pay(id: number, amount: number) {
    const row = await this.orders.findOneBy({ id });
    if (!row) throw new ConflictException();
    if (row.status !== 'pending') throw new ConflictException(`order ${id} is ${row.status}`);
    await this.orders.update({ id }, { paid: row.paid + amount, version: row.version + 1 });
    return { id, state: row.status, version: row.version + 1 };
  }

  async ship(id: number) {
    const row = await this.orders.findOneBy({ id });
    if (!row || row.status !== 'paid') throw new ConflictException(`order ${id} is ${row?.status}`);
    await this.orders.update({ id }, { status: 'shipped', version: row.version + 1 });
    return { id, state: 'shipped' };
  }

  async xstate(id: number, event: { type: string; [k: string]: unknown }) {
    const row = await this.orders.findOneBy({ id });
    if (!row) throw new ConflictException();
    const snapshot = orderMachine.resolveState({
      value: row.status,
      context: { total: row.total, paid: row.paid },
    });
    if (!snapshot.can(event as never))
      throw new ConflictException(`cannot ${event.type} order ${id}`);
    const paid = event.type === 'PAY' ? row.paid + Number(event.amount) : row.paid;
    await this.orders.update({ id }, { paid, version: row.version + 1 });
    return { id, state: row.status, version: row.version + 1 };
  }
}

@Controller()
class BenchController {
  // Explicit tokens: the benchmark runs through tsx, which emits no decorator metadata.
  constructor(
    @Inject(TransitionService) private readonly transitions: TransitionService,
    @Inject(HandWritten) private readonly hand: HandWritten,
  ) {}

  @Post('a/orders/:id/pay')
  @HttpCode(200)
  @Transition(order, 'PAY')
  async aPay(@CurrentTransition() t: CurrentTransition<{ total: number; paid: number }>) {
    const c = await this.transitions.commit(t, (base) => ({
      paid: base.context.paid + Number(t.payload.amount),
    }));
    return { id: Number(t.id), state: c.to, version: c.version };
  }

  @Post('a/orders/:id/ship')
  @HttpCode(200)
  @Transition(order, 'SHIP')
  async aShip(@CurrentTransition() t: CurrentTransition) {
    const c = await this.transitions.commit(t);
    return { id: Number(t.id), state: c.to };
  }

  @Post('b/orders/:id/pay')
  @HttpCode(200)
  bPay(@Param('id') id: string, @Body() body: { amount: number }) {
    return this.hand.pay(Number(id), body.amount);
  }

  @Post('b/orders/:id/ship')
  @HttpCode(200)
  bShip(@Param('id') id: string) {
    return this.hand.ship(Number(id));
  }

  @Post('c/orders/:id/pay')
  @HttpCode(200)
  cPay(@Param('id') id: string, @Body() body: { amount: number }) {
    return this.hand.xstate(Number(id), { type: 'PAY', amount: body.amount });
  }

  @Post('c/orders/:id/ship')
  @HttpCode(200)
  cShip(@Param('id') id: string, @Body() body: object) {
    return this.hand.xstate(Number(id), { ...body, type: 'SHIP' });
  }
}

export type BenchDatabase = { sqlite: string } | { postgres: string };

export async function createBenchApp(
  platform: 'express' | 'fastify',
  database: BenchDatabase,
): Promise<INestApplication> {
  @Module({
    imports: [
      TypeOrmModule.forRoot(
        'postgres' in database
          ? {
              type: 'postgres',
              url: database.postgres,
              entities: [Order, TransitionLogEntry],
              synchronize: true,
            }
          : {
              type: 'better-sqlite3',
              database: database.sqlite,
              entities: [Order, TransitionLogEntry],
              synchronize: true,
              // WAL, as a production SQLite would run: the same for the three implementations.
              prepareDatabase: (db: { pragma(s: string): unknown }) =>
                void db.pragma('journal_mode = WAL'),
            },
      ),
      TypeOrmModule.forFeature([Order]),
      TransitionGuardModule.forRoot({ idPattern: /^[0-9]{1,15}$/, commit: { maxRetries: 10 } }),
      TransitionGuardModule.forFeature([order]),
    ],
    controllers: [BenchController],
    providers: [HandWritten],
  })
  class BenchModule {}
  const app = await NestFactory.create(
    BenchModule,
    platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(),
    { logger: false },
  );
  if (platform === 'express') app.getHttpAdapter().getInstance().set('etag', false);
  return app;
}
