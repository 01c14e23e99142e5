import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { describeTransitions } from 'nestjs-transition-guard';
import { AppModule, type AppOptions } from './app.module.js';
import { OpenApiHolder } from './docs/docs.controller.js';

export type Platform = 'express' | 'fastify';

/** Quiet by default (errors and warnings); LOG_LEVEL=log for Nest's start-up lines, silent for none. */
const logger = (): false | LogLevel[] =>
  process.env.LOG_LEVEL === 'silent'
    ? false
    : process.env.LOG_LEVEL === 'log'
      ? ['error', 'warn', 'log']
      : ['error', 'warn'];

/** The demo app on Express or Fastify (both serve the same routes; the e2e suites run on both). */
export async function createApp(
  platform: Platform,
  options: AppOptions,
): Promise<INestApplication> {
  const module = await AppModule.forRoot({
    ...options,
    // On Fastify, GraphQL (Mercurius) only when asked for: once Nest's Mercurius driver has
    // registered its plugin, errors raised before a route runs (a body that is not JSON, too
    // large) get Fastify's default body instead of the app's filters (see docs/transports.md).
    graphql: options.graphql ?? (platform === 'fastify' ? false : 'apollo'),
  });
  if (platform === 'fastify') {
    const app = await NestFactory.create(module, new FastifyAdapter({ bodyLimit: 64 * 1024 }), {
      logger: logger(),
    });
    app.enableShutdownHooks();
    return withDocs(app);
  }
  const app = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(), {
    logger: logger(),
    bodyParser: true,
  });
  app.useBodyParser('json', { limit: '64kb' });
  // ETags are the resources' versions (set by the routes); no weak body-hash ETags from Express.
  app.set('etag', false);
  app.enableShutdownHooks();
  return withDocs(app);
}

/** `/openapi.json` and `/docs`: what Nest's swagger module finds, and every guarded route described. */
function withDocs<A extends INestApplication>(app: A): A {
  const config = new DocumentBuilder()
    .setTitle('orders-api')
    .setDescription('The nestjs-transition-guard demo: orders and articles with lifecycles')
    .setVersion('0.1')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  app.get(OpenApiHolder).document = describeTransitions(app, document);
  return app;
}
