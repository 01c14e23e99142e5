import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EntitySchema as MikroEntitySchema,
  MikroORM,
  type EntityManager as MikroEntityManager,
} from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import Database from 'better-sqlite3';
import { drizzle as sqliteDrizzle } from 'drizzle-orm/better-sqlite3';
import { drizzle as pgDrizzle } from 'drizzle-orm/node-postgres';
import { integer, pgTable, serial, varchar } from 'drizzle-orm/pg-core';
import { integer as sqliteInteger, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import pg from 'pg';
import { Column, DataSource, Entity, PrimaryGeneratedColumn, type EntityManager } from 'typeorm';
import type { NewOutboxMessage } from '../../src/store/index.js';
import {
  DrizzleOutboxStore,
  DrizzleTransitionStore,
  pgTransitionLog,
  sqliteTransitionLog,
  type DrizzleDatabase,
} from '../../src/store/drizzle/index.js';
import { DrizzleSqlConnection } from '../../src/store/drizzle/drizzle-sql-connection.js';
import { MikroOrmOutboxStore, MikroOrmTransitionStore } from '../../src/store/mikro-orm/index.js';
import {
  PrismaOutboxStore,
  PrismaTransitionStore,
  type PrismaClientLike,
  type PrismaProvider,
  type PrismaQueries,
} from '../../src/store/prisma/index.js';
import {
  HandledTransitionEntry,
  TransitionLogEntry,
  TransitionOutboxEntry,
  TypeOrmOutboxStore,
  TypeOrmTransitionStore,
} from '../../src/store/typeorm/index.js';
import { freshDatabase } from '../support/pg-database.js';
import { runsOn } from '../support/databases.js';
import { generatedClient } from '../support/prisma-client.js';
import { createPostgresTables, createSqliteFile, outboxTables } from '../support/store-tables.js';
import { describeOutboxStore, type OpenedOutbox } from './outbox-store.conformance.js';

/**
 * Every outbox store runs the same suite (outbox-store.conformance.ts) on SQLite and on
 * PostgreSQL (in `npm run test:all`): TypeORM, Prisma, MikroORM, Drizzle.
 */
const withPostgres = runsOn('postgres');

interface Parcel {
  id: number;
  state: string;
  version: number;
}
const TABLES = ['parcels', 'mails', 'transition_log', 'transition_outbox', 'transition_handled'];

/** A database for one ORM: a new SQLite file per test, or one PostgreSQL database emptied per test. */
interface Place {
  readonly postgres: boolean;
  /** A SQLite file, or the PostgreSQL URL; its tables created, empty. */
  next(): Promise<string>;
  stop(): Promise<void>;
}

function sqlitePlace(): Place {
  const dir = mkdtempSync(join(tmpdir(), 'tg-outbox-conformance-'));
  let n = 0;
  return {
    postgres: false,
    next() {
      const file = join(dir, `db-${++n}.sqlite`);
      createSqliteFile(file, outboxTables);
      return Promise.resolve(file);
    },
    stop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  };
}

function postgresPlace(name: string): Place {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  return {
    postgres: true,
    async next() {
      if (!db) {
        db = await freshDatabase(name);
        if (!db) throw new Error('no PostgreSQL server');
        await createPostgresTables(db.url, outboxTables);
      }
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      await client.query(`TRUNCATE ${TABLES.join(', ')} RESTART IDENTITY`);
      await client.end();
      return db.url;
    },
    stop: async () => {
      await db?.stop();
    },
  };
}

const places = (name: string): Place[] => [
  sqlitePlace(),
  ...(withPostgres ? [postgresPlace(name)] : []),
];
const dbName = (place: Place) => (place.postgres ? 'PostgreSQL' : 'SQLite');

// ---- TypeORM ----------------------------------------------------------------------------------

@Entity({ name: 'parcels' })
class ParcelEntity {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'varchar', length: 20 }) state!: string;
  @Column({ type: 'integer' }) version!: number;
}

@Entity({ name: 'mails' })
class MailEntity {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'varchar', length: 36 }) transitionId!: string;
}

const typeOrmEntities = [
  ParcelEntity,
  MailEntity,
  TransitionLogEntry,
  TransitionOutboxEntry,
  HandledTransitionEntry,
];

for (const place of places('tg_outbox_typeorm')) {
  const connect = async (where: string) =>
    new DataSource(
      place.postgres
        ? { type: 'postgres', url: where, entities: typeOrmEntities }
        : { type: 'better-sqlite3', database: where, entities: typeOrmEntities },
    ).initialize();
  describeOutboxStore(
    `TypeOrmOutboxStore on ${dbName(place)}`,
    async (): Promise<OpenedOutbox> => {
      const where = await place.next();
      const ds = await connect(where);
      const outbox = new TypeOrmOutboxStore(ds);
      outbox.verify();
      return {
        outbox,
        parcels: new TypeOrmTransitionStore(ds, {
          entity: ParcelEntity,
          stateProperty: 'state',
          versionProperty: 'version',
          log: true,
        }),
        async insertParcel() {
          const inserted = await ds
            .getRepository(ParcelEntity)
            .insert({ state: 'ready', version: 0 });
          return String((inserted.identifiers[0] as { id: number }).id);
        },
        messageCount: () => ds.getRepository(TransitionOutboxEntry).count(),
        writeMail: async (tx, transitionId) => {
          await (tx as EntityManager).insert(MailEntity, { transitionId });
        },
        mailCount: (transitionId) => ds.getRepository(MailEntity).countBy({ transitionId }),
        enqueueInTransaction: (messages) => ds.transaction((tx) => outbox.enqueue(tx, messages)),
        async another() {
          const other = await connect(where);
          return { outbox: new TypeOrmOutboxStore(other), close: () => other.destroy() };
        },
        refusal: /needs the transaction of a TypeOrmTransitionStore on the same DataSource/,
        postgres: place.postgres,
        // In the compare-and-set's own statement (data-modifying CTEs).
        storeWritesMessages: place.postgres,
        close: () => ds.destroy(),
      };
    },
    place.postgres,
  );
  afterAll(() => place.stop());
}

// ---- Prisma -----------------------------------------------------------------------------------

for (const place of places('tg_outbox_prisma')) {
  const provider: PrismaProvider = place.postgres ? 'postgresql' : 'sqlite';
  const p = (n: number) => (place.postgres ? `$${n}` : '?');
  const connect = (where: string) => {
    const Client = generatedClient(provider);
    const pool = place.postgres ? new pg.Pool({ connectionString: where, max: 4 }) : undefined;
    const client = new Client({
      adapter: pool ? new PrismaPg(pool) : new PrismaBetterSqlite3({ url: `file:${where}` }),
    });
    return {
      client,
      close: async () => {
        await client.$disconnect();
        await pool?.end();
      },
    };
  };
  const count = async (client: PrismaClientLike, sql: string, params: unknown[]) =>
    Number((await client.$queryRawUnsafe<{ n: number | bigint }[]>(sql, ...params))[0].n);
  describeOutboxStore(`PrismaOutboxStore on ${dbName(place)}`, async (): Promise<OpenedOutbox> => {
    const where = await place.next();
    const { client, close } = connect(where);
    const outbox = new PrismaOutboxStore(client, provider);
    return {
      outbox,
      parcels: new PrismaTransitionStore<Parcel>(client, {
        provider,
        table: 'parcels',
        stateField: 'state',
        versionField: 'version',
        log: true,
      }),
      async insertParcel() {
        const rows = await client.$queryRawUnsafe<{ id: number | bigint }[]>(
          `INSERT INTO parcels (state, version) VALUES ('ready', 0) RETURNING id`,
        );
        return String(rows[0].id);
      },
      messageCount: () => count(client, 'SELECT count(*) AS n FROM transition_outbox', []),
      writeMail: async (tx, transitionId) => {
        await (tx as PrismaQueries).$executeRawUnsafe(
          `INSERT INTO mails ("transitionId") VALUES (${p(1)})`,
          transitionId,
        );
      },
      mailCount: (transitionId) =>
        count(client, `SELECT count(*) AS n FROM mails WHERE "transitionId" = ${p(1)}`, [
          transitionId,
        ]),
      enqueueInTransaction: async (messages: NewOutboxMessage[]) => {
        await client.$transaction((tx) => outbox.enqueue(tx, messages));
      },
      another() {
        const other = connect(where);
        return Promise.resolve({
          outbox: new PrismaOutboxStore(other.client, provider),
          close: other.close,
        });
      },
      refusal:
        /PrismaOutboxStore.enqueue\(\) needs the transaction of a transition store on the same client/,
      postgres: place.postgres,
      storeWritesMessages: false,
      close,
    };
  });
  afterAll(() => place.stop());
}

// ---- MikroORM ---------------------------------------------------------------------------------

const MikroParcel = new MikroEntitySchema<Parcel>({
  name: 'Parcel',
  tableName: 'parcels',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    state: { type: 'string' },
    version: { type: 'integer' },
  },
});

for (const place of places('tg_outbox_mikro')) {
  const connect = (where: string): Promise<MikroORM> =>
    place.postgres
      ? MikroORM.init({
          driver: PostgreSqlDriver,
          clientUrl: where,
          entities: [MikroParcel],
          allowGlobalContext: true,
        })
      : MikroORM.init({
          driver: BetterSqliteDriver,
          dbName: where,
          entities: [MikroParcel],
          allowGlobalContext: true,
        });
  describeOutboxStore(
    `MikroOrmOutboxStore on ${dbName(place)}`,
    async (): Promise<OpenedOutbox> => {
      const where = await place.next();
      const orm = await connect(where);
      const sql = orm.em.getConnection();
      const count = async (query: string, params: unknown[]) =>
        Number((await sql.execute<{ n: number | string }[]>(query, params))[0].n);
      const outbox = new MikroOrmOutboxStore(orm.em);
      return {
        outbox,
        parcels: new MikroOrmTransitionStore<Parcel>(orm.em, {
          entity: 'Parcel',
          stateProperty: 'state',
          versionProperty: 'version',
          log: true,
        }),
        async insertParcel() {
          const rows = await sql.execute<{ id: number }[]>(
            `INSERT INTO parcels (state, version) VALUES ('ready', 0) RETURNING id`,
          );
          return String(rows[0].id);
        },
        messageCount: () => count('SELECT count(*) AS n FROM transition_outbox', []),
        writeMail: async (tx, transitionId) => {
          const em = tx as MikroEntityManager;
          await em
            .getConnection()
            .execute(
              'INSERT INTO mails ("transitionId") VALUES (?)',
              [transitionId],
              'run',
              em.getTransactionContext(),
            );
        },
        mailCount: (transitionId) =>
          count('SELECT count(*) AS n FROM mails WHERE "transitionId" = ?', [transitionId]),
        enqueueInTransaction: (messages) =>
          orm.em.transactional((em) => outbox.enqueue(em, messages)),
        async another() {
          const other = await connect(where);
          return { outbox: new MikroOrmOutboxStore(other.em), close: () => other.close(true) };
        },
        refusal:
          /MikroOrmOutboxStore.enqueue\(\) needs the transaction of a transition store on the same client/,
        postgres: place.postgres,
        storeWritesMessages: false,
        close: () => orm.close(true),
      };
    },
  );
  afterAll(() => place.stop());
}

// ---- Drizzle ----------------------------------------------------------------------------------

const pgParcels = pgTable('parcels', {
  id: serial('id').primaryKey(),
  state: varchar('state', { length: 20 }).notNull(),
  version: integer('version').notNull(),
});
const sqliteParcels = sqliteTable('parcels', {
  id: sqliteInteger('id').primaryKey({ autoIncrement: true }),
  state: text('state').notNull(),
  version: sqliteInteger('version').notNull(),
});

for (const place of places('tg_outbox_drizzle')) {
  const connect = (where: string): { db: DrizzleDatabase; close: () => Promise<void> } => {
    if (place.postgres) {
      const pool = new pg.Pool({ connectionString: where, max: 4 });
      return { db: pgDrizzle(pool), close: () => pool.end() };
    }
    const file = new Database(where);
    return { db: sqliteDrizzle(file), close: () => Promise.resolve(void file.close()) };
  };
  const p = (n: number) => (place.postgres ? `$${n}` : '?');
  describeOutboxStore(`DrizzleOutboxStore on ${dbName(place)}`, async (): Promise<OpenedOutbox> => {
    const where = await place.next();
    const { db, close } = connect(where);
    const outbox = new DrizzleOutboxStore(db);
    // The suite's own reads and writes, as raw SQL on the same database.
    const raw = new DrizzleSqlConnection(db);
    const query = (text: string, params: unknown[]) =>
      raw.run('plain', (q) => q.query(text, params));
    const count = async (text: string, params: unknown[]) =>
      Number((await query(text, params))[0].n);
    return {
      outbox,
      parcels: new DrizzleTransitionStore(db, {
        table: (place.postgres ? pgParcels : sqliteParcels) as typeof pgParcels,
        stateProperty: 'state',
        versionProperty: 'version',
        log: place.postgres ? pgTransitionLog : sqliteTransitionLog,
      }),
      async insertParcel() {
        const rows = await query(
          `INSERT INTO parcels (state, version) VALUES ('ready', 0) RETURNING id`,
          [],
        );
        return String(rows[0].id);
      },
      messageCount: () => count('SELECT count(*) AS n FROM transition_outbox', []),
      writeMail: async (tx, transitionId) => {
        const q = raw.queriesOf(tx);
        if (!q) throw new Error('not a Drizzle transaction');
        await q.execute(`INSERT INTO mails ("transitionId") VALUES (${p(1)})`, [transitionId]);
      },
      mailCount: (transitionId) =>
        count(`SELECT count(*) AS n FROM mails WHERE "transitionId" = ${p(1)}`, [transitionId]),
      enqueueInTransaction: (messages) =>
        raw.run('transaction', (q) => outbox.enqueue(q.handle, messages)),
      another() {
        const other = connect(where);
        return Promise.resolve({ outbox: new DrizzleOutboxStore(other.db), close: other.close });
      },
      refusal:
        /DrizzleOutboxStore.enqueue\(\) needs the transaction of a transition store on the same client/,
      postgres: place.postgres,
      storeWritesMessages: false,
      close,
    };
  });
  afterAll(() => place.stop());
}
