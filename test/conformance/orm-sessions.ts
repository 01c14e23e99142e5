import 'reflect-metadata';
import { rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { drizzle as mysqlDrizzle } from 'drizzle-orm/mysql2';
import { int, mysqlTable, varchar as mysqlVarchar } from 'drizzle-orm/mysql-core';
import { drizzle as pgDrizzle } from 'drizzle-orm/node-postgres';
import { integer, pgTable, serial, varchar } from 'drizzle-orm/pg-core';
import { drizzle as sqliteDrizzle } from 'drizzle-orm/better-sqlite3';
import { integer as sqliteInteger, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { EntitySchema, MikroORM } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { MariaDbDriver } from '@mikro-orm/mariadb';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaPg } from '@prisma/adapter-pg';
import mariadb from 'mariadb';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type {
  IdempotencyStore,
  OutboxStore,
  TimerStore,
  SqlConnection,
  TransitionStore,
} from '../../src/store/index.js';
import {
  DrizzleIdempotencyStore,
  DrizzleOutboxStore,
  DrizzleTimerStore,
  DrizzleTransitionStore,
} from '../../src/store/drizzle/index.js';
import { DrizzleConnection } from '../../src/store/drizzle/drizzle-connection.js';
import {
  HandledTransitionSchema,
  IdempotencyKeySchema,
  MikroOrmIdempotencyStore,
  MikroOrmOutboxStore,
  MikroOrmTimerStore,
  MikroOrmTransitionStore,
  TransitionLogSchema,
  TransitionOutboxSchema,
} from '../../src/store/mikro-orm/index.js';
import { MikroOrmConnection } from '../../src/store/mikro-orm/mikro-orm-connection.js';
import {
  PrismaIdempotencyStore,
  PrismaOutboxStore,
  PrismaTimerStore,
  PrismaTransitionStore,
  type PrismaProvider,
} from '../../src/store/prisma/index.js';
import { PrismaConnection } from '../../src/store/prisma/prisma-client.js';
import {
  HandledTransitionEntry,
  IdempotencyKeyEntry,
  TransitionLogEntry,
  TransitionOutboxEntry,
  TransitionTimerEntry,
  TypeOrmIdempotencyStore,
  TypeOrmOutboxStore,
  TypeOrmTimerStore,
  TypeOrmTransitionStore,
} from '../../src/store/typeorm/index.js';
import { TypeOrmConnection } from '../../src/store/typeorm/typeorm-connection.js';
import type { Database as DatabaseKind } from '../support/databases.js';
import type { Place } from '../support/places.js';
import { generatedClient } from '../support/prisma-client.js';

/**
 * Each ORM the package supports, opened the same way on any database of the suites (a SQLite
 * file, a PostgreSQL or a MariaDB database with `conformanceTables`): its stores on the tables
 * `conformance_tickets` (state `state_value`, version `row_version`, `owner`) and `parcels`, the
 * library's stores, and the `SqlConnection` its stores run on, for the suites' own SQL.
 */
export const ORMS = ['typeorm', 'prisma', 'drizzle', 'mikro-orm'] as const;
export type Orm = (typeof ORMS)[number];

export interface TicketContext {
  owner: string | null;
}

export interface OrmSession {
  readonly orm: Orm;
  readonly kind: DatabaseKind;
  /** The store of `conformance_tickets`, with its log; the guards read `owner`. */
  tickets(): TransitionStore<TicketContext, { owner?: string | null }>;
  /** The store of `parcels` (state, version), with its log. */
  parcels(): TransitionStore;
  keys(): IdempotencyStore;
  outbox(): OutboxStore;
  timers(): TimerStore;
  /** The connection the stores run on: the suites' own SQL goes through it. */
  readonly sql: SqlConnection;
  /** Makes the database unreachable for this session's stores. */
  breakConnection(): Promise<void>;
  close(): Promise<void>;
}

// ---- TypeORM -------------------------------------------------------------------------------

@Entity({ name: 'conformance_tickets' })
class Ticket {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'varchar', length: 200, name: 'state_value' }) state!: string;
  @Column({ type: 'integer', name: 'row_version' }) version!: number;
  @Column({ type: 'varchar', length: 50, nullable: true }) owner!: string | null;
}

@Entity({ name: 'parcels' })
class Parcel {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'varchar', length: 20 }) state!: string;
  @Column({ type: 'integer' }) version!: number;
}

const typeOrmEntities = [
  Ticket,
  Parcel,
  TransitionLogEntry,
  IdempotencyKeyEntry,
  TransitionOutboxEntry,
  HandledTransitionEntry,
  TransitionTimerEntry,
];

async function typeOrm(place: Place): Promise<OrmSession> {
  const options =
    place.kind === 'sqlite'
      ? { type: 'better-sqlite3' as const, database: place.where }
      : place.kind === 'postgres'
        ? { type: 'postgres' as const, url: place.where, poolSize: 8 }
        : {
            type: 'mysql' as const,
            url: place.where,
            poolSize: 8,
          };
  const ds = await new DataSource({ ...options, entities: typeOrmEntities }).initialize();
  return {
    orm: 'typeorm',
    kind: place.kind,
    tickets: () =>
      new TypeOrmTransitionStore(ds, {
        entity: Ticket,
        stateProperty: 'state',
        versionProperty: 'version',
        log: true,
        contextProperties: ['owner'],
      }),
    parcels: () =>
      new TypeOrmTransitionStore(ds, {
        entity: Parcel,
        stateProperty: 'state',
        versionProperty: 'version',
        log: true,
      }),
    keys: () => new TypeOrmIdempotencyStore(ds),
    outbox: () => new TypeOrmOutboxStore(ds),
    timers: () => new TypeOrmTimerStore(ds),
    sql: new TypeOrmConnection(ds),
    breakConnection: () => ds.destroy(),
    close: async () => {
      if (ds.isInitialized) await ds.destroy();
    },
  };
}

// ---- Prisma --------------------------------------------------------------------------------

const PROVIDER: Readonly<Record<DatabaseKind, PrismaProvider>> = {
  sqlite: 'sqlite',
  postgres: 'postgresql',
  mysql: 'mysql',
};

function prisma(place: Place): OrmSession {
  const provider = PROVIDER[place.kind];
  const Client = generatedClient(provider);
  // Pools of the suite's own, so that ending them breaks the connection (Prisma reconnects a
  // pool it owns on the next query).
  const pool =
    place.kind === 'postgres' ? new pg.Pool({ connectionString: place.where, max: 8 }) : undefined;
  const maria = place.kind === 'mysql' ? mariadb.createPool(mariaDbConfig(place.where)) : undefined;
  const adapter =
    place.kind === 'sqlite'
      ? new PrismaBetterSqlite3({ url: `file:${place.where}` })
      : pool
        ? new PrismaPg(pool)
        : new PrismaMariaDb(maria as mariadb.Pool);
  const client = new Client({ adapter });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await client.$disconnect();
    if (pool && !pool.ended) await pool.end();
    if (maria?.closed === false) await maria.end();
  };
  return {
    orm: 'prisma',
    kind: place.kind,
    tickets: () =>
      new PrismaTransitionStore<
        { id: number; state: string; version: number; owner: string | null },
        TicketContext
      >(client, {
        provider,
        table: 'conformance_tickets',
        stateProperty: 'state',
        versionProperty: 'version',
        columns: { state: 'state_value', version: 'row_version' },
        log: true,
        contextProperties: ['owner'],
      }),
    parcels: () =>
      new PrismaTransitionStore<{ id: number; state: string; version: number }>(client, {
        provider,
        table: 'parcels',
        stateProperty: 'state',
        versionProperty: 'version',
        log: true,
      }),
    keys: () => new PrismaIdempotencyStore(client, provider),
    outbox: () => new PrismaOutboxStore(client, provider),
    timers: () => new PrismaTimerStore(client, provider),
    sql: new PrismaConnection(client, provider),
    breakConnection: async () => {
      // Ending the pool under the client: its next query finds no connection.
      if (place.kind === 'postgres') return pool?.end();
      if (place.kind === 'mysql') return maria?.end();
      // Prisma reopens a disconnected SQLite file on the next query: the file itself goes bad
      // (replaced by something that is not a database, as a failed disk or a bad restore).
      await client.$disconnect();
      for (const suffix of ['-wal', '-shm']) rmSync(place.where + suffix, { force: true });
      writeFileSync(place.where, 'not a database '.repeat(100));
    },
    close,
  };
}

/** The MariaDB connector's settings from a `mysql://` URL. */
export function mariaDbConfig(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.slice(1),
    connectionLimit: 8,
  };
}

// ---- Drizzle -------------------------------------------------------------------------------

const drizzleTables = {
  sqlite: {
    tickets: sqliteTable('conformance_tickets', {
      id: sqliteInteger('id').primaryKey({ autoIncrement: true }),
      state: text('state_value').notNull(),
      version: sqliteInteger('row_version').notNull(),
      owner: text('owner'),
    }),
    parcels: sqliteTable('parcels', {
      id: sqliteInteger('id').primaryKey({ autoIncrement: true }),
      state: text('state').notNull(),
      version: sqliteInteger('version').notNull(),
    }),
  },
  postgres: {
    tickets: pgTable('conformance_tickets', {
      id: serial('id').primaryKey(),
      state: varchar('state_value', { length: 200 }).notNull(),
      version: integer('row_version').notNull(),
      owner: varchar('owner', { length: 50 }),
    }),
    parcels: pgTable('parcels', {
      id: serial('id').primaryKey(),
      state: varchar('state', { length: 20 }).notNull(),
      version: integer('version').notNull(),
    }),
  },
  mysql: {
    tickets: mysqlTable('conformance_tickets', {
      id: int('id').primaryKey().autoincrement(),
      state: mysqlVarchar('state_value', { length: 200 }).notNull(),
      version: int('row_version').notNull(),
      owner: mysqlVarchar('owner', { length: 50 }),
    }),
    parcels: mysqlTable('parcels', {
      id: int('id').primaryKey().autoincrement(),
      state: mysqlVarchar('state', { length: 20 }).notNull(),
      version: int('version').notNull(),
    }),
  },
};

function drizzle(place: Place): OrmSession {
  let end: () => Promise<void>;
  let db;
  if (place.kind === 'sqlite') {
    const client = new Database(place.where);
    db = sqliteDrizzle(client);
    end = () => Promise.resolve(client.open ? void client.close() : undefined);
  } else if (place.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: place.where, max: 8 });
    pool.on('error', () => undefined);
    db = pgDrizzle(pool);
    end = () => pool.end();
  } else {
    const pool = mysql.createPool({ uri: place.where, connectionLimit: 8 });
    db = mysqlDrizzle(pool);
    end = () => pool.end();
  }
  let ended = false;
  const close = async () => {
    if (!ended) await end();
    ended = true;
  };
  const tables = drizzleTables[place.kind] as (typeof drizzleTables)['postgres'];
  return {
    orm: 'drizzle',
    kind: place.kind,
    tickets: () =>
      new DrizzleTransitionStore(db, {
        table: tables.tickets,
        stateProperty: 'state',
        versionProperty: 'version',
        log: true,
        contextProperties: ['owner'],
      }),
    parcels: () =>
      new DrizzleTransitionStore(db, {
        table: tables.parcels,
        stateProperty: 'state',
        versionProperty: 'version',
        log: true,
      }),
    keys: () => new DrizzleIdempotencyStore(db),
    outbox: () => new DrizzleOutboxStore(db),
    timers: () => new DrizzleTimerStore(db),
    sql: new DrizzleConnection(db),
    breakConnection: close,
    close,
  };
}

// ---- MikroORM ------------------------------------------------------------------------------

export interface MikroTicket {
  id: number;
  state: string;
  version: number;
  owner: string | null;
}
export const MikroTicketSchema = new EntitySchema<MikroTicket>({
  name: 'Ticket',
  tableName: 'conformance_tickets',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    state: { type: 'string', fieldName: 'state_value' },
    // Optimistic locking on MikroORM's side too: a flush of a stale entity would fail.
    version: { type: 'integer', fieldName: 'row_version', version: true },
    owner: { type: 'string', nullable: true },
  },
});
interface MikroParcel {
  id: number;
  state: string;
  version: number;
}
const MikroParcelSchema = new EntitySchema<MikroParcel>({
  name: 'Parcel',
  tableName: 'parcels',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    state: { type: 'string' },
    version: { type: 'integer' },
  },
});

const mikroEntities = [
  MikroTicketSchema,
  MikroParcelSchema,
  TransitionLogSchema,
  IdempotencyKeySchema,
  TransitionOutboxSchema,
  HandledTransitionSchema,
];

/** A MikroORM instance on a place (its own connections). */
export function mikroOrmOn(place: Place): Promise<MikroORM> {
  const common = { entities: mikroEntities, allowGlobalContext: true };
  if (place.kind === 'sqlite') {
    return MikroORM.init({ ...common, driver: BetterSqliteDriver, dbName: place.where });
  }
  return MikroORM.init({
    ...common,
    driver: place.kind === 'postgres' ? PostgreSqlDriver : MariaDbDriver,
    clientUrl: place.where,
    pool: { min: 0, max: 8 },
  } as Parameters<typeof MikroORM.init>[0]);
}

async function mikroOrm(place: Place): Promise<OrmSession> {
  const orm = await mikroOrmOn(place);
  let closed = false;
  const close = async () => {
    if (!closed) await orm.close(true);
    closed = true;
  };
  return {
    orm: 'mikro-orm',
    kind: place.kind,
    tickets: () =>
      new MikroOrmTransitionStore<MikroTicket, TicketContext>(orm.em, {
        entity: 'Ticket',
        stateProperty: 'state',
        versionProperty: 'version',
        log: true,
        contextProperties: ['owner'],
      }),
    parcels: () =>
      new MikroOrmTransitionStore<MikroParcel>(orm.em, {
        entity: 'Parcel',
        stateProperty: 'state',
        versionProperty: 'version',
        log: true,
      }),
    keys: () => new MikroOrmIdempotencyStore(orm.em),
    outbox: () => new MikroOrmOutboxStore(orm.em),
    timers: () => new MikroOrmTimerStore(orm.em),
    sql: new MikroOrmConnection(orm.em),
    breakConnection: close,
    close,
  };
}

/** Opens `orm` on `place`. */
export function openSession(orm: Orm, place: Place): Promise<OrmSession> {
  switch (orm) {
    case 'typeorm':
      return typeOrm(place);
    case 'prisma':
      return Promise.resolve(prisma(place));
    case 'drizzle':
      return Promise.resolve(drizzle(place));
    case 'mikro-orm':
      return mikroOrm(place);
  }
}

/** Deletes every row of these tables (on MySQL and PostgreSQL, ids restart too). */
export async function emptyTables(session: OrmSession, tables: readonly string[]): Promise<void> {
  const q = session.sql.dialect.quote;
  await session.sql.run('plain', async (s) => {
    for (const t of tables) await s.execute(`DELETE FROM ${q(t)}`, []);
  });
}
