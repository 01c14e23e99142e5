import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import { Article } from './articles/article.entity.js';
import { Order } from './orders/order.entity.js';
import {
  HandledTransitionEntry,
  IdempotencyKeyEntry,
  TransitionLogEntry,
  TransitionOutboxEntry,
  TransitionTimerEntry,
} from 'nestjs-transition-guard/typeorm';
import { Notification } from './notifications/notification.entity.js';

/**
 * SQLite (a file, or ':memory:') by default; PostgreSQL when a postgres:// URL is given; MySQL or
 * MariaDB when a mysql:// (or mariadb://) URL is.
 */
export type DatabaseConfig = { sqlite: string } | { postgres: string } | { mysql: string };

/** From the environment: DATABASE_URL=postgres://... or mysql://..., else SQLite in .data/. */
export function databaseFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const url = env.DATABASE_URL;
  if (url?.startsWith('postgres://') || url?.startsWith('postgresql://')) return { postgres: url };
  if (url?.startsWith('mysql://')) return { mysql: url };
  if (url?.startsWith('mariadb://')) return { mysql: `mysql://${url.slice('mariadb://'.length)}` };
  return { sqlite: env.SQLITE_FILE ?? '.data/orders-api.sqlite' };
}

/** The database's name, for messages. */
export function databaseName(config: DatabaseConfig): string {
  if ('postgres' in config) return 'PostgreSQL';
  if ('mysql' in config) return 'MySQL';
  return `SQLite ${config.sqlite}`;
}

/**
 * The demo's migrations (none committed): where `transition-guard migrate --orm typeorm` writes
 * one that moves rows after a state is renamed (docs/changing-machines.md). They run at boot,
 * after the schema is synchronized and before the stored-state check.
 */
export const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export function databaseOptions(config: DatabaseConfig): TypeOrmModuleOptions {
  const entities = [
    Order,
    Article,
    Notification,
    TransitionLogEntry,
    IdempotencyKeyEntry,
    TransitionOutboxEntry,
    TransitionTimerEntry,
    HandledTransitionEntry,
  ];
  const migrations = [join(MIGRATIONS, '*.{ts,js}')];
  if ('postgres' in config) {
    return {
      type: 'postgres',
      url: config.postgres,
      entities,
      migrations,
      synchronize: true,
      retryAttempts: 2,
      retryDelay: 500,
      // A server that is down fails a request in 2 s instead of leaving it waiting.
      extra: { connectionTimeoutMillis: 2000 },
    };
  }
  if ('mysql' in config) {
    return {
      type: 'mysql',
      url: config.mysql,
      entities,
      migrations,
      synchronize: true,
      retryAttempts: 2,
      retryDelay: 500,
      // A server that is down fails a request in 2 s instead of leaving it waiting.
      connectTimeout: 2000,
    };
  }
  if (config.sqlite !== ':memory:') mkdirSync(dirname(config.sqlite), { recursive: true });
  return {
    type: 'better-sqlite3',
    database: config.sqlite,
    entities,
    migrations,
    synchronize: true,
    retryAttempts: 1,
    enableWAL: true,
    // better-sqlite3 waits for a lock synchronously, blocking the event loop: wait at most 50 ms
    // (then SQLITE_BUSY, a 503), not SQLite's 5 s. Measured with another process holding the
    // lock (test/fault/sqlite-lock): 25 ms stalled the loop 142 ms at worst, 50 ms 240 ms,
    // 100 ms 522 ms, 400 ms 1.2 s. SQLITE_BUSY_TIMEOUT_MS changes it.
    timeout: Number(process.env.SQLITE_BUSY_TIMEOUT_MS ?? 50),
  };
}
