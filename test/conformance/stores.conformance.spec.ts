import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntitySchema, MikroORM } from '@mikro-orm/core';
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
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { MemoryIdempotencyStore, MemoryTransitionStore } from '../../src/index.js';
import {
  IdempotencyKeyEntry,
  TransitionLogEntry,
  TypeOrmIdempotencyStore,
  TypeOrmTransitionStore,
} from '../../src/store/typeorm/index.js';
import {
  DrizzleIdempotencyStore,
  DrizzleTransitionStore,
  pgIdempotencyKeys,
  pgTransitionLog,
  sqliteIdempotencyKeys,
  sqliteTransitionLog,
  type DrizzleDatabase,
} from '../../src/store/drizzle/index.js';
import {
  IdempotencyKeySchema,
  MikroOrmIdempotencyStore,
  MikroOrmTransitionStore,
  TransitionLogSchema,
} from '../../src/store/mikro-orm/index.js';
import {
  PrismaIdempotencyStore,
  PrismaTransitionStore,
  type PrismaClientLike,
  type PrismaProvider,
} from '../../src/store/prisma/index.js';
import { freshDatabase } from '../support/pg-database.js';
import { runsOn } from '../support/databases.js';
import { generatedClient, type GeneratedClient } from '../support/prisma-client.js';
import {
  conformanceTables,
  createPostgresTables,
  createSqliteFile,
} from '../support/store-tables.js';
import { describeIdempotencyStore } from './idempotency-store.conformance.js';
import {
  describeTransitionStore,
  record,
  type OpenedStore,
} from './transition-store.conformance.js';

/**
 * Every store the package ships runs the same conformance suites, on every database it supports:
 * memory, and each ORM on SQLite (`npm test`) and PostgreSQL (`npm run test:all`). A new store is
 * added here with its harness.
 */

@Entity({ name: 'conformance_tickets' })
class Ticket {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'varchar', length: 200, name: 'state_value' }) state!: string;
  @Column({ type: 'integer', name: 'row_version' }) version!: number;
  @Column({ type: 'varchar', length: 50, nullable: true }) owner!: string | null;
}

const entities = [Ticket, TransitionLogEntry, IdempotencyKeyEntry];

// ---- memory --------------------------------------------------------------------------------

let memoryIds = 0;
describeTransitionStore({
  name: 'MemoryTransitionStore',
  open: () => {
    const store = new MemoryTransitionStore<{ owner: string | null }>();
    return Promise.resolve({
      store,
      insert: (state) => {
        const id = String(++memoryIds);
        store.insert(id, { state, context: { owner: null } });
        return Promise.resolve(id);
      },
      log: (id) =>
        Promise.resolve(
          store.log
            .filter((r) => r.resourceId === id)
            .map((r) => ({ event: r.event, version: r.version ?? null })),
        ),
      close: () => Promise.resolve(),
    });
  },
});

describeIdempotencyStore({
  name: 'MemoryIdempotencyStore',
  open: () =>
    Promise.resolve({ store: new MemoryIdempotencyStore(), close: () => Promise.resolve() }),
});

// ---- TypeORM ---------------------------------------------------------------------------------

/** Where a TypeORM DataSource connects: a SQLite file or a PostgreSQL database. */
interface Backend {
  readonly name: string;
  /** A new DataSource on the backend's database, tables created and emptied. */
  dataSource(): Promise<DataSource>;
  /** Called once after the suites. */
  stop(): Promise<void>;
}

const sqlite = (): Backend => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-conformance-'));
  let files = 0;
  let current = '';
  return {
    name: 'SQLite',
    async dataSource() {
      current ||= join(dir, `db-${++files}.sqlite`);
      const ds = new DataSource({
        type: 'better-sqlite3',
        database: current,
        entities,
        synchronize: true,
      });
      return ds.initialize();
    },
    stop: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
};

const postgres = (): Backend => {
  let db: Awaited<ReturnType<typeof freshDatabase>> | null = null;
  return {
    name: 'PostgreSQL',
    async dataSource() {
      db ??= (await freshDatabase('tg_conformance')) ?? null;
      if (!db) throw new Error('no PostgreSQL server');
      const ds = new DataSource({
        type: 'postgres',
        url: db.url,
        entities,
        synchronize: true,
        poolSize: 8,
      });
      return ds.initialize();
    },
    stop: async () => {
      await db?.stop();
    },
  };
};

const backends = [sqlite(), ...(runsOn('postgres') ? [postgres()] : [])];
afterAll(async () => {
  for (const backend of backends) await backend.stop();
});

const ticketStore = (ds: DataSource) =>
  new TypeOrmTransitionStore(ds, {
    entity: Ticket,
    stateProperty: 'state',
    versionProperty: 'version',
    log: true,
    context: (t) => ({ owner: t.owner }),
  });

for (const backend of backends) {
  describeTransitionStore({
    name: `TypeOrmTransitionStore on ${backend.name}`,
    async open(): Promise<OpenedStore> {
      const ds = await backend.dataSource();
      await ds.getRepository(Ticket).clear();
      await ds.getRepository(TransitionLogEntry).clear();
      const others: DataSource[] = [];
      const store = ticketStore(ds);
      store.verify();
      return {
        store,
        async insert(state) {
          const inserted = await ds
            .getRepository(Ticket)
            .insert({ state, version: 0, owner: null });
          return String((inserted.identifiers[0] as { id: number }).id);
        },
        async log(id) {
          const rows = await ds
            .getRepository(TransitionLogEntry)
            .find({ where: { resourceId: id }, order: { id: 'ASC' } });
          return rows.map((r) => ({ event: r.event, version: r.version }));
        },
        // Several connections of one process deadlock on SQLite (see OpenedStore.another).
        another:
          backend.name === 'PostgreSQL'
            ? async () => {
                const other = await backend.dataSource();
                others.push(other);
                return ticketStore(other);
              }
            : undefined,
        async breakConnection() {
          await ds.destroy();
        },
        async close() {
          for (const d of [ds, ...others]) if (d.isInitialized) await d.destroy();
        },
      };
    },
  });

  describeIdempotencyStore({
    name: `TypeOrmIdempotencyStore on ${backend.name}`,
    async open() {
      const ds = await backend.dataSource();
      await ds.getRepository(IdempotencyKeyEntry).clear();
      const others: DataSource[] = [];
      const store = new TypeOrmIdempotencyStore(ds);
      store.verify();
      return {
        store,
        async another() {
          const other = await backend.dataSource();
          others.push(other);
          return new TypeOrmIdempotencyStore(other);
        },
        async close() {
          for (const d of [ds, ...others]) if (d.isInitialized) await d.destroy();
        },
      };
    },
  });
}

// ---- Drizzle ---------------------------------------------------------------------------------

const sqliteTickets = sqliteTable('conformance_tickets', {
  id: sqliteInteger('id').primaryKey({ autoIncrement: true }),
  state: text('state_value').notNull(),
  version: sqliteInteger('row_version').notNull(),
  owner: text('owner'),
});
const pgTickets = pgTable('conformance_tickets', {
  id: serial('id').primaryKey(),
  state: varchar('state_value', { length: 200 }).notNull(),
  version: integer('row_version').notNull(),
  owner: varchar('owner', { length: 50 }),
});

const ddl = conformanceTables;

interface DrizzleBackend {
  readonly name: string;
  /** A new connection (a client or a pool) on the backend's database, tables created and emptied. */
  connect(): Promise<{ db: DrizzleDatabase; end: () => Promise<void> }>;
  stop(): Promise<void>;
}

const drizzleSqlite = (): DrizzleBackend => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-conformance-drizzle-'));
  const file = join(dir, 'db.sqlite');
  createSqliteFile(file, ddl);
  return {
    name: 'SQLite',
    connect: () => {
      const client = new Database(file);
      return Promise.resolve({
        db: sqliteDrizzle(client),
        end: () => {
          if (client.open) client.close();
          return Promise.resolve();
        },
      });
    },
    stop: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
};

const drizzlePostgres = (): DrizzleBackend => {
  let db: Awaited<ReturnType<typeof freshDatabase>> | null = null;
  return {
    name: 'PostgreSQL',
    async connect() {
      if (!db) {
        db = (await freshDatabase('tg_conformance_drizzle')) ?? null;
        if (!db) throw new Error('no PostgreSQL server');
        await createPostgresTables(db.url, ddl);
      }
      const pool = new pg.Pool({ connectionString: db.url, max: 8 });
      let ended = false;
      return {
        db: pgDrizzle(pool),
        end: async () => {
          if (!ended) await pool.end();
          ended = true;
        },
      };
    },
    stop: async () => {
      await db?.stop();
    },
  };
};

const drizzleBackends = [
  {
    backend: drizzleSqlite(),
    tickets: sqliteTickets,
    log: sqliteTransitionLog,
    keys: sqliteIdempotencyKeys,
  },
  ...(runsOn('postgres')
    ? [
        {
          backend: drizzlePostgres(),
          tickets: pgTickets,
          log: pgTransitionLog,
          keys: pgIdempotencyKeys,
        },
      ]
    : []),
];
afterAll(async () => {
  for (const { backend } of drizzleBackends) await backend.stop();
});

for (const { backend, tickets, log, keys } of drizzleBackends) {
  describeIdempotencyStore({
    name: `DrizzleIdempotencyStore on ${backend.name}`,
    async open() {
      const main = await backend.connect();
      await (main.db as unknown as { delete(t: unknown): PromiseLike<unknown> }).delete(keys);
      const ends = [main.end];
      const store = new DrizzleIdempotencyStore(main.db, keys);
      store.verify();
      return {
        store,
        async another() {
          const other = await backend.connect();
          ends.push(other.end);
          return new DrizzleIdempotencyStore(other.db, keys);
        },
        async close() {
          for (const end of ends) await end();
        },
      };
    },
  });

  const storeOn = (db: DrizzleDatabase) =>
    new DrizzleTransitionStore(db, {
      table: tickets,
      stateProperty: 'state',
      versionProperty: 'version',
      log,
      context: (t) => ({ owner: t.owner }),
    });
  describeTransitionStore({
    name: `DrizzleTransitionStore on ${backend.name}`,
    async open(): Promise<OpenedStore> {
      const main = await backend.connect();
      const q = main.db as unknown as { delete(t: unknown): PromiseLike<unknown> };
      await q.delete(tickets);
      await q.delete(log);
      const ends = [main.end];
      const store = storeOn(main.db);
      store.verify();
      return {
        store,
        async insert(state) {
          const rows = await (
            main.db as unknown as {
              insert(t: unknown): {
                values(v: object): { returning(): PromiseLike<{ id: number }[]> };
              };
            }
          )
            .insert(tickets)
            .values({ state, version: 0, owner: null })
            .returning();
          return String(rows[0].id);
        },
        async log(id) {
          const page = await store.history('ticket', id, { limit: 1000 });
          return page.entries
            .map((e) => ({ event: e.event, version: e.version ?? null }))
            .reverse();
        },
        another:
          backend.name === 'PostgreSQL'
            ? async () => {
                const other = await backend.connect();
                ends.push(other.end);
                return storeOn(other.db);
              }
            : undefined,
        breakConnection: () => main.end(),
        async close() {
          for (const end of ends) await end();
        },
      };
    },
  });
}

// ---- Prisma ----------------------------------------------------------------------------------

/**
 * The Prisma stores through real generated clients (Prisma 7, driver adapters): the client is
 * generated from test/fixtures/prisma/<provider>/schema.prisma by `prisma generate`, offline (the
 * schema engine it would download is not needed to generate: PRISMA_SCHEMA_ENGINE_BINARY points
 * it at /bin/true), and the tables are created with SQL.
 */
interface PrismaBackend {
  readonly provider: PrismaProvider;
  /** A client on the backend's database; `fresh` starts a new database (SQLite: a new file). */
  connect(fresh: boolean): Promise<{
    client: PrismaClientLike & { $disconnect(): Promise<void> };
    /** Makes the database unreachable for this client. */
    break: () => Promise<void>;
    end: () => Promise<void>;
  }>;
  stop(): Promise<void>;
}

const prismaSqlite = (): PrismaBackend => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-conformance-prisma-'));
  let files = 0;
  let file = '';
  let Client: GeneratedClient | undefined;
  return {
    provider: 'sqlite',
    connect: (fresh) => {
      if (fresh || !file) {
        file = join(dir, `db-${++files}.sqlite`);
        createSqliteFile(file, ddl);
      }
      const at = file;
      Client ??= generatedClient('sqlite');
      const client = new Client({ adapter: new PrismaBetterSqlite3({ url: `file:${at}` }) });
      return Promise.resolve({
        client,
        // Prisma reopens a disconnected SQLite file on the next query: the file itself goes bad
        // (replaced by something that is not a database, as a failed disk or a bad restore).
        break: async () => {
          await client.$disconnect();
          for (const suffix of ['-wal', '-shm']) rmSync(at + suffix, { force: true });
          writeFileSync(at, 'not a database '.repeat(100));
        },
        end: () => client.$disconnect(),
      });
    },
    stop: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
};

const prismaPostgres = (): PrismaBackend => {
  let db: Awaited<ReturnType<typeof freshDatabase>> | null = null;
  let Client: GeneratedClient | undefined;
  return {
    provider: 'postgresql',
    async connect() {
      if (!db) {
        db = (await freshDatabase('tg_conformance_prisma')) ?? null;
        if (!db) throw new Error('no PostgreSQL server');
        await createPostgresTables(db.url, ddl);
      }
      Client ??= generatedClient('postgresql');
      const pool = new pg.Pool({ connectionString: db.url, max: 8 });
      const client = new Client({ adapter: new PrismaPg(pool) });
      let ended = false;
      const end = async () => {
        if (!ended) await pool.end();
        ended = true;
      };
      return { client, break: end, end };
    },
    stop: async () => {
      await db?.stop();
    },
  };
};

const prismaBackends = [prismaSqlite(), ...(runsOn('postgres') ? [prismaPostgres()] : [])];
afterAll(async () => {
  for (const backend of prismaBackends) await backend.stop();
});

interface TicketRow {
  id: number;
  state: string;
  version: number;
  owner: string | null;
}

for (const backend of prismaBackends) {
  const name = backend.provider === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const storeOn = (client: PrismaClientLike) =>
    new PrismaTransitionStore<TicketRow, { owner: string | null }>(client, {
      provider: backend.provider,
      table: 'conformance_tickets',
      stateField: 'state',
      versionField: 'version',
      columns: { state: 'state_value', version: 'row_version' },
      log: true,
      context: (t) => ({ owner: t.owner }),
    });
  describeTransitionStore({
    name: `PrismaTransitionStore on ${name}`,
    async open(): Promise<OpenedStore> {
      const main = await backend.connect(true);
      await main.client.$executeRawUnsafe('DELETE FROM conformance_tickets');
      await main.client.$executeRawUnsafe('DELETE FROM transition_log');
      const ends = [main.end];
      const store = storeOn(main.client);
      return {
        store,
        async insert(state) {
          const rows = await main.client.$queryRawUnsafe<{ id: number | bigint }[]>(
            `INSERT INTO conformance_tickets (state_value, row_version, owner) VALUES (${backend.provider === 'sqlite' ? '?' : '$1'}, 0, NULL) RETURNING id`,
            state,
          );
          return String(rows[0].id);
        },
        async log(id) {
          const page = await store.history('ticket', id, { limit: 1000 });
          return page.entries
            .map((e) => ({ event: e.event, version: e.version ?? null }))
            .reverse();
        },
        another:
          backend.provider === 'postgresql'
            ? async () => {
                const other = await backend.connect(false);
                ends.push(other.end);
                return storeOn(other.client);
              }
            : undefined,
        breakConnection: () => main.break(),
        async close() {
          for (const end of ends) await end();
        },
      };
    },
  });

  describeIdempotencyStore({
    name: `PrismaIdempotencyStore on ${name}`,
    async open() {
      const main = await backend.connect(true);
      await main.client.$executeRawUnsafe('DELETE FROM idempotency_keys');
      const ends = [main.end];
      return {
        store: new PrismaIdempotencyStore(main.client, backend.provider),
        async another() {
          const other = await backend.connect(false);
          ends.push(other.end);
          return new PrismaIdempotencyStore(other.client, backend.provider);
        },
        async close() {
          for (const end of ends) await end();
        },
      };
    },
  });
}

// ---- MikroORM --------------------------------------------------------------------------------

interface MikroTicket {
  id: number;
  state: string;
  version: number;
  owner: string | null;
}
const MikroTicketSchema = new EntitySchema<MikroTicket>({
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

interface MikroBackend {
  readonly name: string;
  /** An ORM on the backend's database; `fresh` starts a new database (SQLite: a new file). */
  connect(fresh: boolean): Promise<MikroORM>;
  stop(): Promise<void>;
}

const mikroEntities = [MikroTicketSchema, TransitionLogSchema, IdempotencyKeySchema];

const mikroSqlite = (): MikroBackend => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-conformance-mikro-'));
  let files = 0;
  let file = '';
  return {
    name: 'SQLite',
    connect: (fresh) => {
      if (fresh || !file) {
        file = join(dir, `db-${++files}.sqlite`);
        createSqliteFile(file, ddl);
      }
      return MikroORM.init({
        driver: BetterSqliteDriver,
        dbName: file,
        entities: mikroEntities,
        allowGlobalContext: true,
      });
    },
    stop: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
};

const mikroPostgres = (): MikroBackend => {
  let db: Awaited<ReturnType<typeof freshDatabase>> | null = null;
  return {
    name: 'PostgreSQL',
    async connect() {
      if (!db) {
        db = (await freshDatabase('tg_conformance_mikro')) ?? null;
        if (!db) throw new Error('no PostgreSQL server');
        await createPostgresTables(db.url, ddl);
      }
      return MikroORM.init({
        driver: PostgreSqlDriver,
        clientUrl: db.url,
        entities: mikroEntities,
        allowGlobalContext: true,
        pool: { min: 0, max: 8 },
      });
    },
    stop: async () => {
      await db?.stop();
    },
  };
};

const mikroBackends = [mikroSqlite(), ...(runsOn('postgres') ? [mikroPostgres()] : [])];
afterAll(async () => {
  for (const backend of mikroBackends) await backend.stop();
});

for (const backend of mikroBackends) {
  const storeOn = (orm: MikroORM) =>
    new MikroOrmTransitionStore<MikroTicket, { owner: string | null }>(orm.em, {
      entity: 'Ticket',
      stateProperty: 'state',
      versionProperty: 'version',
      log: true,
      context: (t) => ({ owner: t.owner }),
    });
  const open = async (): Promise<OpenedStore & { orm: MikroORM }> => {
    const orm = await backend.connect(true);
    await orm.em.getConnection().execute('DELETE FROM conformance_tickets');
    await orm.em.getConnection().execute('DELETE FROM transition_log');
    const orms = [orm];
    const store = storeOn(orm);
    store.verify();
    return {
      orm,
      store,
      async insert(state) {
        const rows = await orm.em
          .getConnection()
          .execute<{ id: number }[]>(
            'INSERT INTO conformance_tickets (state_value, row_version, owner) VALUES (?, 0, NULL) RETURNING id',
            [state],
          );
        return String(rows[0].id);
      },
      async log(id) {
        const page = await store.history('ticket', id, { limit: 1000 });
        return page.entries.map((e) => ({ event: e.event, version: e.version ?? null })).reverse();
      },
      another:
        backend.name === 'PostgreSQL'
          ? async () => {
              const other = await backend.connect(false);
              orms.push(other);
              return storeOn(other);
            }
          : undefined,
      breakConnection: () => orm.close(true),
      async close() {
        for (const o of orms) await o.close(true);
      },
    };
  };
  describeTransitionStore({ name: `MikroOrmTransitionStore on ${backend.name}`, open });

  describe(`MikroOrmTransitionStore and the unit of work, on ${backend.name}`, () => {
    it('refreshes a managed entity after its transition, so that a later flush neither reverts nor fails', async () => {
      const opened = await open();
      try {
        const id = await opened.insert('open');
        const em = opened.orm.em.fork();
        const managed = await em.findOneOrFail(MikroTicketSchema, { id: Number(id) });
        const store = storeOn(opened.orm);
        // The store runs on the context's EntityManager: here, the fork.
        const forked = new MikroOrmTransitionStore<MikroTicket>(em, {
          entity: 'Ticket',
          stateProperty: 'state',
          versionProperty: 'version',
        });
        expect(
          await forked.compareAndSet(
            id,
            { state: 'open', version: 0 },
            { state: 'assigned' },
            { record: record(id, 'ASSIGN', 1) },
          ),
        ).toEqual({ written: true, version: 1 });
        expect(managed).toMatchObject({ state: 'assigned', version: 1 });
        managed.owner = 'ann';
        await em.flush(); // a later unit-of-work write, on the refreshed entity
        expect(await store.load(id)).toMatchObject({
          state: 'assigned',
          context: { owner: 'ann' },
        });
      } finally {
        await opened.close();
      }
    });

    it("commits inside the app's own transaction, and rolls back with it", async () => {
      const opened = await open();
      try {
        const id = await opened.insert('open');
        const store = storeOn(opened.orm);
        await expect(
          opened.orm.em.transactional(async (em) => {
            await em
              .getConnection()
              .execute(
                "UPDATE conformance_tickets SET owner = 'handler' WHERE id = ?",
                [Number(id)],
                'run',
                em.getTransactionContext(),
              );
            await store.compareAndSet(
              id,
              { state: 'open', version: 0 },
              { state: 'assigned' },
              { record: record(id, 'ASSIGN', 1) },
            );
            throw new Error('the handler failed after the commit call');
          }),
        ).rejects.toThrow('the handler failed');
        expect(await store.load(id)).toMatchObject({
          state: 'open',
          version: 0,
          context: { owner: null },
        });
        expect(await opened.log!(id)).toEqual([]);
      } finally {
        await opened.close();
      }
    });

    it("runs what waits for the commit once the app's outermost transaction commits, never after a rollback", async () => {
      const opened = await open();
      try {
        const store = storeOn(opened.orm);
        expect(store.joinedTransaction()).toBeUndefined(); // outside a transaction: its own
        const ran: string[] = [];
        const wait = (label: string) => {
          const joined = store.joinedTransaction();
          if (!joined) throw new Error('not joined');
          joined.afterCommit(() => {
            ran.push(label);
            return Promise.resolve();
          });
        };
        await opened.orm.em.transactional(async (em) => {
          wait('outer');
          await em.transactional(() => {
            wait('nested');
            return Promise.resolve();
          });
          expect(ran).toEqual([]); // the nested one committed a savepoint only
        });
        expect(ran).toEqual(['outer', 'nested']);
        await expect(
          opened.orm.em.transactional(() => {
            wait('rolled back');
            return Promise.reject(new Error('rollback'));
          }),
        ).rejects.toThrow('rollback');
        await opened.orm.em.transactional(() => Promise.resolve()); // a later commit runs nothing
        expect(ran).toEqual(['outer', 'nested']);
      } finally {
        await opened.close();
      }
    });

    it('runs them after a nested transaction that rolled back, when its error is caught and the outer one commits (the edge the README names)', async () => {
      const opened = await open();
      try {
        const id = await opened.insert('open');
        const store = storeOn(opened.orm);
        const ran: string[] = [];
        await opened.orm.em.transactional(async (em) => {
          await em
            .transactional(async () => {
              await store.compareAndSet(
                id,
                { state: 'open', version: 0 },
                { state: 'assigned' },
                { record: record(id, 'ASSIGN', 1) },
              );
              store.joinedTransaction()?.afterCommit(() => {
                ran.push('in the rolled-back savepoint');
                return Promise.resolve();
              });
              throw new Error('the nested work failed');
            })
            .catch(() => undefined); // caught: the outer transaction goes on and commits
        });
        // The savepoint's write is gone, as it should be...
        expect(await store.load(id)).toMatchObject({ state: 'open', version: 0 });
        // ...but MikroORM reports no savepoint rollback: what waited for the commit still ran.
        expect(ran).toEqual(['in the rolled-back savepoint']);
      } finally {
        await opened.close();
      }
    });
  });

  describeIdempotencyStore({
    name: `MikroOrmIdempotencyStore on ${backend.name}`,
    async open() {
      const orm = await backend.connect(true);
      await orm.em.getConnection().execute('DELETE FROM idempotency_keys');
      const orms = [orm];
      return {
        store: new MikroOrmIdempotencyStore(orm.em),
        async another() {
          const other = await backend.connect(false);
          orms.push(other);
          return new MikroOrmIdempotencyStore(other.em);
        },
        async close() {
          for (const o of orms) await o.close(true);
        },
      };
    },
  });
}
