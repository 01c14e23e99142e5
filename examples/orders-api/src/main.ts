import 'reflect-metadata';

// PAYMENT_WINDOW (seconds): a pending order not paid within it is cancelled by a durable timer,
// which the console counts down. 300 unless told; PAYMENT_WINDOW=0 for none. Set before the
// app's modules load: the order's machine is made with it.
process.env.PAYMENT_WINDOW ??= '300';
const { createApp } = await import('./create-app.js');
const { databaseFromEnv, databaseName } = await import('./database.js');
const { ormFromEnv } = await import('./orm/orm.js');

const platform = process.env.PLATFORM === 'fastify' ? 'fastify' : 'express';
const port = Number(process.env.PORT ?? 3000);
const database = databaseFromEnv();
function graphqlFromEnv(): 'apollo' | 'mercurius' | false | undefined {
  const asked = process.env.GRAPHQL;
  if (asked === 'off') return false;
  return asked === 'apollo' || asked === 'mercurius' ? asked : undefined;
}

// ORDERS_TCP_PORT: order events as messages too, over TCP (@nestjs/microservices).
const tcpPort = process.env.ORDERS_TCP_PORT ? Number(process.env.ORDERS_TCP_PORT) : undefined;
const app = await createApp(platform, {
  database,
  problemDetails: process.env.PROBLEM_DETAILS === '1',
  gatewayLatencyMs: Number(process.env.GATEWAY_LATENCY_MS ?? 0),
  idempotencyLeaseSeconds: Number(process.env.IDEMPOTENCY_LEASE_SECONDS ?? 60),
  messages: tcpPort !== undefined,
  // GRAPHQL=mercurius (Fastify) or apollo; GRAPHQL=off for none. Default: Apollo on Express.
  graphql: graphqlFromEnv(),
  // OUTBOX_TRANSPORT=redis://127.0.0.1:6379 (or nats://..., amqp://...): order events to a broker.
  outboxTransport: process.env.OUTBOX_TRANSPORT || undefined,
  // OUTBOX_RELAY=0: this process only writes messages; another one delivers them (woken by
  // LISTEN/NOTIFY on PostgreSQL).
  outbox: { relay: process.env.OUTBOX_RELAY !== '0' },
});
if (tcpPort !== undefined) {
  const { Transport } = await import('@nestjs/microservices');
  app.connectMicroservice({
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port: tcpPort },
  });
  await app.startAllMicroservices();
}
try {
  // Idle keep-alive sockets stay open longer than clients keep them (Node closes them after 5 s:
  // a client reusing one just as it closes gets 'socket hang up').
  (app.getHttpServer() as { keepAliveTimeout: number }).keepAliveTimeout = 65_000;
  await app.listen(port, '127.0.0.1');
} catch (err) {
  if ((err as { code?: unknown }).code !== 'EADDRINUSE') throw err;
  console.error(
    `orders-api: port ${port} is in use; start it on another one with PORT=3001 npm start`,
  );
  await app.close();
  process.exit(1);
}
const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
console.log(
  `orders-api on ${url} (${platform}, ${databaseName(database)}, order stores on ${ormFromEnv()})`,
);
