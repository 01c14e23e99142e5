/**
 * One benchmark app in a process of its own (the load generator runs in another):
 *   DATABASE_URL=postgres://... PLATFORM=fastify node --import tsx bench/http/serve.ts
 *   SQLITE_FILE=/tmp/bench.sqlite node --import tsx bench/http/serve.ts
 * Prints "orders-api on <url>" once it listens (the line the process helpers wait for).
 */
import { createBenchApp } from './bench-app.js';

const app = await createBenchApp(
  process.env.PLATFORM === 'fastify' ? 'fastify' : 'express',
  process.env.DATABASE_URL?.startsWith('mysql://')
    ? { mysql: process.env.DATABASE_URL }
    : process.env.DATABASE_URL
      ? { postgres: process.env.DATABASE_URL }
      : { sqlite: process.env.SQLITE_FILE ?? '.data/bench.sqlite' },
);
// Idle keep-alive sockets stay open longer than clients keep them (Node closes them after 5 s:
// a client reusing one just as it closes gets 'socket hang up').
(app.getHttpServer() as { keepAliveTimeout: number }).keepAliveTimeout = 65_000;
await app.listen(0, '127.0.0.1');
console.log(`orders-api on ${(await app.getUrl()).replace('[::1]', '127.0.0.1')} (bench)`);
// Exit cleanly on a signal, so that `node --cpu-prof` writes its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
