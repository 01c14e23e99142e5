import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule, type AppOptions } from './app.module.js';

export type Platform = 'express' | 'fastify';

/** The demo app on Express or Fastify (both serve the same routes; the e2e suites run on both). */
export async function createApp(
  platform: Platform,
  options: AppOptions,
): Promise<INestApplication> {
  const adapter =
    platform === 'fastify' ? new FastifyAdapter({ bodyLimit: 64 * 1024 }) : new ExpressAdapter();
  const app = await NestFactory.create(AppModule.forRoot(options), adapter, {
    logger: process.env.LOG_LEVEL === 'silent' ? false : ['error', 'warn', 'log'],
    ...(platform === 'express' ? { bodyParser: true, rawBody: false } : {}),
  });
  if (platform === 'express') {
    (app as any).useBodyParser?.('json', { limit: '64kb' });
    // ETags are the resources' versions (set by the routes); no weak body-hash ETags from Express.
    app.getHttpAdapter().getInstance().set('etag', false);
  }
  app.enableShutdownHooks();
  return app;
}
