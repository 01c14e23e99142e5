/**
 * A consumer service in a process of its own: a Nest microservice on RabbitMQ (BROKER_URL,
 * queue QUEUE) that acknowledges by hand, after its work. Each `order.*` envelope is written to
 * `receipts` as it comes (outside any transaction, with the broker's redelivered flag), then
 * taken through `TransitionInbox.receiveIn` in the consumer's own PostgreSQL transaction
 * (DATABASE_URL), whose work writes `effects`. CRASH_AFTER_WRITE=n kills this process with
 * SIGKILL right after its n-th write committed, before its acknowledgement: the broker gives
 * that message to the next consumer. Prints "consumer ready".
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Ctx,
  EventPattern,
  Payload,
  RmqContext,
  Transport,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { TransitionInbox, type TransitionEnvelope } from '../../../src/index.js';
import {
  HandledTransitionEntry,
  TransitionOutboxEntry,
  TypeOrmOutboxStore,
} from '../../../src/store/typeorm/index.js';

const env = process.env;
const crashAfter = env.CRASH_AFTER_WRITE ? Number(env.CRASH_AFTER_WRITE) : undefined;
let written = 0;
const db = await new DataSource({
  type: 'postgres',
  url: env.DATABASE_URL,
  entities: [TransitionOutboxEntry, HandledTransitionEntry],
}).initialize();
const inbox = new TransitionInbox(new TypeOrmOutboxStore(db), 'warehouse');

interface AmqpMessage {
  fields: { redelivered: boolean };
}
interface AmqpChannel {
  ack(message: AmqpMessage): void;
}

@Controller()
class Warehouse {
  // Nest 12 types a handler's parameters after the payload as unknown.
  @EventPattern('order.PAY')
  pay(@Payload() message: TransitionEnvelope, @Ctx() context: unknown) {
    return this.take(message, context as RmqContext);
  }

  @EventPattern('order.SHIP')
  ship(@Payload() message: TransitionEnvelope, @Ctx() context: unknown) {
    return this.take(message, context as RmqContext);
  }

  private async take(message: TransitionEnvelope, context: RmqContext) {
    const original = context.getMessage() as AmqpMessage;
    await db.query('INSERT INTO receipts (message_id, redelivered) VALUES ($1, $2)', [
      message.id,
      original.fields.redelivered,
    ]);
    const { done } = await db.transaction((tx) =>
      inbox.receiveIn(tx, message, () =>
        tx.query('INSERT INTO effects (message_id, order_id, version) VALUES ($1, $2, $3)', [
          message.id,
          message.subject,
          message.version,
        ]),
      ),
    );
    if (done && ++written === crashAfter) process.kill(process.pid, 'SIGKILL');
    (context.getChannelRef() as AmqpChannel).ack(original);
  }
}

@Module({ controllers: [Warehouse] })
class WarehouseModule {}

const app = await NestFactory.createMicroservice<MicroserviceOptions>(WarehouseModule, {
  transport: Transport.RMQ,
  options: {
    urls: [env.BROKER_URL ?? ''],
    queue: env.QUEUE ?? 'order-events',
    queueOptions: { durable: true },
    noAck: false,
    // One message at a time: Nest runs a consumer's handlers concurrently, which would reorder.
    prefetchCount: 1,
  },
  logger: ['error'],
});
await app.listen();
console.log('consumer ready');
process.once('SIGTERM', () => {
  void app
    .close()
    .then(() => db.destroy())
    .then(() => process.exit(0));
});
