/**
 * One benchmark app process on PostgreSQL, for the multi-process contention benchmark:
 *   DATABASE_URL=postgres://... PLATFORM=fastify node --import tsx bench/http/serve.ts
 * Prints "orders-api on <url>" once it listens (the line the race helpers wait for).
 */
import { createBenchApp } from './bench-app.js';

const app = await createBenchApp(process.env.PLATFORM === 'fastify' ? 'fastify' : 'express', {
  postgres: process.env.DATABASE_URL!,
});
await app.listen(0, '127.0.0.1');
console.log(`orders-api on ${(await app.getUrl()).replace('[::1]', '127.0.0.1')} (bench)`);
