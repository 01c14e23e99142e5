import Database from 'better-sqlite3';
import pg from 'pg';

/**
 * The tables the store suites create with SQL, as a migration (drizzle-kit's, Prisma's) would:
 * the same names and columns as the TypeORM entities, so that every store reads them alike.
 * `serialKey` is the key column's type: `serial PRIMARY KEY` on PostgreSQL,
 * `integer PRIMARY KEY AUTOINCREMENT` on SQLite.
 */
export const libraryTables = (serialKey: string): string[] => [
  `CREATE TABLE transition_log (id ${serialKey}, "transitionId" varchar(36), resource varchar(100) NOT NULL, "resourceId" varchar(128) NOT NULL, ` +
    `event varchar(256) NOT NULL, from_state varchar(1024) NOT NULL, to_state varchar(1024) NOT NULL, version integer, actor varchar(256), ` +
    `at varchar(40) NOT NULL, reason varchar(200), comment varchar(2000), metadata text, "machineVersion" varchar(16), "correlationId" varchar(128))`,
  `CREATE INDEX transition_log_resource ON transition_log (resource, "resourceId", id)`,
  `CREATE TABLE idempotency_keys (caller varchar(256) NOT NULL, "key" varchar(255) NOT NULL, fingerprint varchar(64) NOT NULL, ` +
    `token varchar(64) NOT NULL, status varchar(16) NOT NULL, response text, committed text, "leaseUntilMs" bigint NOT NULL, ` +
    `"expiresAtMs" bigint NOT NULL, PRIMARY KEY (caller, "key"))`,
];

/** The conformance suite's resource table, and the library's. */
export const conformanceTables = (serialKey: string): string[] => [
  `CREATE TABLE conformance_tickets (id ${serialKey}, state_value varchar(200) NOT NULL, row_version integer NOT NULL, owner varchar(50))`,
  ...libraryTables(serialKey),
];

/** The outbox's tables, as `TypeOrmOutboxStore`'s entities declare them (the SQL stores' too). */
export const outboxLibraryTables = (serialKey: string): string[] => [
  `CREATE TABLE transition_outbox (id ${serialKey}, "transitionId" varchar(36) NOT NULL, handler varchar(200) NOT NULL, ` +
    `record text NOT NULL, payload text NOT NULL, status varchar(10) NOT NULL, attempts integer NOT NULL, ` +
    `"availableAtMs" bigint NOT NULL, "lockedUntilMs" bigint NOT NULL, claim varchar(36), "lastError" varchar(2000), "createdAtMs" bigint NOT NULL)`,
  `CREATE INDEX transition_outbox_due ON transition_outbox (status, "availableAtMs")`,
  `CREATE TABLE transition_handled ("transitionId" varchar(36) NOT NULL, handler varchar(200) NOT NULL, ` +
    `"handledAtMs" bigint NOT NULL, PRIMARY KEY ("transitionId", handler))`,
];

/** The outbox conformance suite's tables: parcels, the mails its handlers write, the library's. */
export const outboxTables = (serialKey: string): string[] => [
  `CREATE TABLE parcels (id ${serialKey}, state varchar(20) NOT NULL, version integer NOT NULL)`,
  `CREATE TABLE mails (id ${serialKey}, "transitionId" varchar(36) NOT NULL)`,
  ...libraryTables(serialKey),
  ...outboxLibraryTables(serialKey),
];

/** The e2e apps' orders table, and the library's. */
export const orderTables = (serialKey: string): string[] => [
  `CREATE TABLE orders (id ${serialKey}, status varchar(32) NOT NULL, total integer NOT NULL, paid integer NOT NULL, version integer NOT NULL)`,
  ...libraryTables(serialKey),
];

/** Creates a SQLite file in WAL mode with these tables (`integer PRIMARY KEY AUTOINCREMENT` keys). */
export function createSqliteFile(file: string, tables: (serialKey: string) => string[]): void {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    for (const statement of tables('integer PRIMARY KEY AUTOINCREMENT')) db.exec(statement);
  } finally {
    db.close();
  }
}

/** Creates these tables (`serial PRIMARY KEY` keys) in the PostgreSQL database at `url`. */
export async function createPostgresTables(
  url: string,
  tables: (serialKey: string) => string[],
): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of tables('serial PRIMARY KEY')) await client.query(statement);
  } finally {
    await client.end();
  }
}
