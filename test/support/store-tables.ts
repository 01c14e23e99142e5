import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Database as DatabaseKind } from './databases.js';

/**
 * How a migration writes DDL on one database: the key column of a table whose ids the database
 * assigns, and identifiers quoted as it quotes them.
 */
export interface Ddl {
  readonly kind: DatabaseKind;
  /** `id` column: `serial PRIMARY KEY`, `integer PRIMARY KEY AUTOINCREMENT`, `... AUTO_INCREMENT`. */
  readonly serial: string;
  /** An identifier, quoted. */
  q(name: string): string;
}

export const DDL: Readonly<Record<DatabaseKind, Ddl>> = {
  sqlite: {
    kind: 'sqlite',
    serial: 'integer PRIMARY KEY AUTOINCREMENT',
    q: (n) => `"${n}"`,
  },
  postgres: { kind: 'postgres', serial: 'serial PRIMARY KEY', q: (n) => `"${n}"` },
  mysql: { kind: 'mysql', serial: 'integer PRIMARY KEY AUTO_INCREMENT', q: (n) => `\`${n}\`` },
};

/** Tables as DDL statements, for any database. */
export type Tables = (d: Ddl) => string[];

/**
 * The tables the store suites create with SQL, as a migration (drizzle-kit's, Prisma's) would:
 * the same names and columns as the TypeORM entities, so that every store reads them alike.
 */
export const libraryTables: Tables = ({ serial, q }) => [
  `CREATE TABLE ${q('transition_log')} (${q('id')} ${serial}, ${q('transitionId')} varchar(36), ${q('resource')} varchar(100) NOT NULL, ${q('resourceId')} varchar(128) NOT NULL, ` +
    `${q('event')} varchar(256) NOT NULL, ${q('from_state')} varchar(1024) NOT NULL, ${q('to_state')} varchar(1024) NOT NULL, ${q('version')} integer, ${q('actor')} varchar(256), ` +
    `${q('at')} varchar(40) NOT NULL, ${q('reason')} varchar(200), ${q('comment')} varchar(2000), ${q('metadata')} text, ${q('machineVersion')} varchar(16), ${q('correlationId')} varchar(128))`,
  `CREATE INDEX ${q('transition_log_resource')} ON ${q('transition_log')} (${q('resource')}, ${q('resourceId')}, ${q('id')})`,
  `CREATE TABLE ${q('idempotency_keys')} (${q('caller')} varchar(256) NOT NULL, ${q('key')} varchar(255) NOT NULL, ${q('fingerprint')} varchar(64) NOT NULL, ` +
    `${q('token')} varchar(64) NOT NULL, ${q('status')} varchar(16) NOT NULL, ${q('response')} text, ${q('committed')} text, ${q('leaseUntilMs')} bigint NOT NULL, ` +
    `${q('expiresAtMs')} bigint NOT NULL, PRIMARY KEY (${q('caller')}, ${q('key')}))`,
  `CREATE INDEX ${q('idempotency_keys_expires')} ON ${q('idempotency_keys')} (${q('expiresAtMs')})`,
];

/** The outbox's tables, as `TypeOrmOutboxStore`'s entities declare them (every SQL store's too). */
export const outboxLibraryTables: Tables = ({ kind, serial, q }) => {
  const pending = kind === 'mysql' ? '' : ` WHERE ${q('status')} = 'pending'`;
  return [
    `CREATE TABLE ${q('transition_outbox')} (${q('id')} ${serial}, ${q('transitionId')} varchar(36) NOT NULL, ${q('handler')} varchar(200) NOT NULL, ${q('resourceKey')} varchar(300) NOT NULL DEFAULT '', ` +
      `${q('record')} text NOT NULL, ${q('payload')} text NOT NULL, ${q('status')} varchar(10) NOT NULL, ${q('attempts')} integer NOT NULL, ` +
      `${q('availableAtMs')} bigint NOT NULL, ${q('lockedUntilMs')} bigint NOT NULL, ${q('claim')} varchar(36), ${q('lastError')} varchar(2000), ${q('createdAtMs')} bigint NOT NULL)`,
    `CREATE INDEX ${q('transition_outbox_due')} ON ${q('transition_outbox')} (${q('status')}, ${q('availableAtMs')})`,
    // Partial where the database has them (TypeORM drops `where` on MySQL), as the entity says.
    `CREATE INDEX ${q('transition_outbox_pending')} ON ${q('transition_outbox')} (${q('status')}, ${q('id')})${pending}`,
    `CREATE INDEX ${q('transition_outbox_order')} ON ${q('transition_outbox')} (${q('resourceKey')}, ${q('handler')}, ${q('status')}, ${q('id')})${pending}`,
    `CREATE TABLE ${q('transition_handled')} (${q('transitionId')} varchar(36) NOT NULL, ${q('handler')} varchar(200) NOT NULL, ` +
      `${q('handledAtMs')} bigint NOT NULL, PRIMARY KEY (${q('transitionId')}, ${q('handler')}))`,
  ];
};

/** The timer table, as `TypeOrmTimerStore`'s entity declares it (every SQL store's too). */
export const timerLibraryTables: Tables = ({ serial, q }) => [
  `CREATE TABLE ${q('transition_timers')} (${q('id')} ${serial}, ${q('resource')} varchar(100) NOT NULL, ${q('resourceId')} varchar(128) NOT NULL, ` +
    `${q('timer')} varchar(256) NOT NULL, ${q('dueAtMs')} bigint NOT NULL, ${q('armedVersion')} integer, ${q('armedAtMs')} bigint NOT NULL, ` +
    `${q('claim')} varchar(36), ${q('lockedUntilMs')} bigint NOT NULL, ${q('attempts')} integer NOT NULL)`,
  `CREATE UNIQUE INDEX ${q('transition_timers_owner')} ON ${q('transition_timers')} (${q('resource')}, ${q('resourceId')}, ${q('timer')})`,
  `CREATE INDEX ${q('transition_timers_due')} ON ${q('transition_timers')} (${q('dueAtMs')})`,
];

/** The conformance suites' tables: tickets, parcels, the mails outbox handlers write, the library's. */
export const conformanceTables: Tables = (d) => [
  `CREATE TABLE ${d.q('conformance_tickets')} (${d.q('id')} ${d.serial}, ${d.q('state_value')} varchar(200) NOT NULL, ${d.q('row_version')} integer NOT NULL, ${d.q('owner')} varchar(50))`,
  `CREATE TABLE ${d.q('parcels')} (${d.q('id')} ${d.serial}, ${d.q('state')} varchar(20) NOT NULL, ${d.q('version')} integer NOT NULL)`,
  `CREATE TABLE ${d.q('mails')} (${d.q('id')} ${d.serial}, ${d.q('transitionId')} varchar(36) NOT NULL)`,
  ...libraryTables(d),
  ...outboxLibraryTables(d),
  ...timerLibraryTables(d),
];

/** The outbox e2e tables: parcels, mails, the library's. */
export const outboxTables: Tables = (d) => [
  `CREATE TABLE ${d.q('parcels')} (${d.q('id')} ${d.serial}, ${d.q('state')} varchar(20) NOT NULL, ${d.q('version')} integer NOT NULL)`,
  `CREATE TABLE ${d.q('mails')} (${d.q('id')} ${d.serial}, ${d.q('transitionId')} varchar(36) NOT NULL)`,
  ...libraryTables(d),
  ...outboxLibraryTables(d),
];

/** The e2e apps' orders table, and the library's. */
export const orderTables: Tables = (d) => [
  `CREATE TABLE ${d.q('orders')} (${d.q('id')} ${d.serial}, ${d.q('status')} varchar(32) NOT NULL, ${d.q('total')} integer NOT NULL, ${d.q('paid')} integer NOT NULL, ${d.q('version')} integer NOT NULL)`,
  ...libraryTables(d),
];

/** Creates a SQLite file in WAL mode with these tables. */
export function createSqliteFile(file: string, tables: Tables): void {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    for (const statement of tables(DDL.sqlite)) db.exec(statement);
  } finally {
    db.close();
  }
}

/** Creates these tables in the PostgreSQL database at `url`. */
export async function createPostgresTables(url: string, tables: Tables): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of tables(DDL.postgres)) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Creates these tables in the MySQL (MariaDB) database at `url`. */
export async function createMysqlTables(url: string, tables: Tables): Promise<void> {
  const connection = await mysql.createConnection(url);
  try {
    for (const statement of tables(DDL.mysql)) await connection.query(statement);
  } finally {
    await connection.end();
  }
}

/** Creates these tables where `where` is (a SQLite file, or a server database's URL). */
export async function createTables(
  kind: DatabaseKind,
  where: string,
  tables: Tables,
): Promise<void> {
  if (kind === 'sqlite') createSqliteFile(where, tables);
  else if (kind === 'postgres') await createPostgresTables(where, tables);
  else await createMysqlTables(where, tables);
}
