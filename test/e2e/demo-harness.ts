import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createApp, type Platform } from '../../examples/orders-api/src/create-app.js';
import type { AppOptions } from '../../examples/orders-api/src/app.module.js';

export const PLATFORMS: Platform[] = ['express', 'fastify'];

export interface Demo {
  app: INestApplication;
  /** The SQLite file, when the demo runs on SQLite. */
  sqliteFile: string | undefined;
  url: string;
  http: () => ReturnType<typeof request>;
  close: () => Promise<void>;
}

/**
 * The demo app listening on a loopback port, on a fresh SQLite file (or the PostgreSQL or MySQL
 * database given).
 */
export async function startDemo(
  platform: Platform,
  options: Omit<Partial<AppOptions>, 'database'> & {
    postgres?: string;
    mysql?: string;
    /** With `messages`: take them from this broker (Nest's microservice options) instead of TCP. */
    broker?: { transport: number; options: Record<string, unknown> };
  } = {},
): Promise<Demo> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-e2e-'));
  process.env.LOG_LEVEL ??= 'silent';
  const { postgres, mysql, broker, ...rest } = options;
  const sqliteFile = postgres || mysql ? undefined : join(dir, 'demo.sqlite');
  const app = await createApp(platform, {
    database: postgres ? { postgres } : mysql ? { mysql } : { sqlite: join(dir, 'demo.sqlite') },
    ...rest,
  });
  if (options.messages) {
    // Order events as messages over TCP on a free port (the parity suite sends them), or a broker.
    const { Transport } = await import('@nestjs/microservices');
    app.connectMicroservice(
      broker ?? { transport: Transport.TCP, options: { host: '127.0.0.1', port: 0 } },
    );
    await app.startAllMicroservices();
  }
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    sqliteFile,
    url,
    http: () => request(url),
    close: async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
