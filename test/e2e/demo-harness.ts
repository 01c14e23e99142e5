import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createApp, type Platform } from '../../examples/orders-api/src/create-app.js';

export const PLATFORMS: Platform[] = ['express', 'fastify'];

export interface Demo {
  app: INestApplication;
  url: string;
  http: () => ReturnType<typeof request>;
  close: () => Promise<void>;
}

/** The demo app listening on a loopback port, on a fresh SQLite file. */
export async function startDemo(
  platform: Platform,
  options: { problemDetails?: boolean; gatewayLatencyMs?: number } = {},
): Promise<Demo> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-e2e-'));
  process.env.LOG_LEVEL ??= 'silent';
  const app = await createApp(platform, {
    database: { sqlite: join(dir, 'demo.sqlite') },
    ...options,
  });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    url,
    http: () => request(url),
    close: async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
