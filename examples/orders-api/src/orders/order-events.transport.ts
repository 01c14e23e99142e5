import type { DynamicModule } from '@nestjs/common';

/** The token of the ClientProxy that publishes order events (`outbox.publish`). */
export const ORDER_EVENTS = 'ORDER_EVENTS';

/**
 * OUTBOX_TRANSPORT=redis://host:port, nats://host:port or amqp://user:password@host:port (RabbitMQ,
 * to the durable queue `order-events`, or the one named by `?queue=`): a `ClientsModule` whose
 * client, `ORDER_EVENTS`, the outbox publishes every committed order transition through (as
 * `order.<EVENT>` with a `TransitionEnvelope`). Loaded only when asked for.
 */
export async function orderEventsClient(url: string): Promise<DynamicModule> {
  const { ClientsModule, Transport } = await import('@nestjs/microservices');
  const parsed = new URL(url);
  if (parsed.protocol === 'redis:') {
    return ClientsModule.register([
      {
        name: ORDER_EVENTS,
        transport: Transport.REDIS,
        options: { host: parsed.hostname, port: Number(parsed.port || 6379) },
      },
    ]);
  }
  if (parsed.protocol === 'nats:') {
    return ClientsModule.register([
      { name: ORDER_EVENTS, transport: Transport.NATS, options: { servers: [url] } },
    ]);
  }
  if (parsed.protocol === 'amqp:') {
    const queue = parsed.searchParams.get('queue') ?? 'order-events';
    parsed.search = '';
    return ClientsModule.register([
      {
        name: ORDER_EVENTS,
        transport: Transport.RMQ,
        options: {
          urls: [parsed.toString()],
          queue,
          queueOptions: { durable: true },
          persistent: true,
        },
      },
    ]);
  }
  throw new Error(
    `OUTBOX_TRANSPORT=${url}: give redis://host:port, nats://host:port or amqp://host:port (or leave it unset)`,
  );
}
