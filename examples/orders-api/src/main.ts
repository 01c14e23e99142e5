import 'reflect-metadata';
import { createApp } from './create-app.js';
import { databaseFromEnv } from './database.js';

const platform = process.env.PLATFORM === 'fastify' ? 'fastify' : 'express';
const port = Number(process.env.PORT ?? 3000);
const database = databaseFromEnv();
const app = await createApp(platform, {
  database,
  problemDetails: process.env.PROBLEM_DETAILS === '1',
  gatewayLatencyMs: Number(process.env.GATEWAY_LATENCY_MS ?? 0),
});
await app.listen(port, '127.0.0.1');
const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
console.log(
  `orders-api on ${url} (${platform}, ${'postgres' in database ? 'PostgreSQL' : `SQLite ${database.sqlite}`})`,
);
