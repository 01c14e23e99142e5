import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MikroORM } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { MariaDbDriver } from '@mikro-orm/mariadb';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import Database from 'better-sqlite3';
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3';
import { migrate as migrateSqlite } from 'drizzle-orm/better-sqlite3/migrator';
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2';
import { migrate as migrateMysql } from 'drizzle-orm/mysql2/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { DataSource, type MigrationInterface } from 'typeorm';
import { parseLock, type MachineLock } from '../../src/core/index.js';
import {
  MIGRATION_ORMS,
  migrationFiles,
  writeMigrationFiles,
  type MigrateCliOptions,
  type MigrationOrm,
} from '../../src/cli/migrate-command.js';
import { lockOf } from '../../src/cli/lock-command.js';
import {
  installedHash,
  installedTriggerQuery,
  machineTriggerStatements,
} from '../../src/store/sql/machine-trigger.js';
import { DIALECTS } from '../../src/store/sql/dialect.js';
import { logColumnName } from '../../src/store/log-rows.js';
import { tierDatabases, type Database as Db } from '../support/databases.js';
import { freshPlace, type Place } from '../support/places.js';
import { rawSql, type RawSql } from '../support/raw-sql.js';
import { libraryTables, type Tables } from '../support/store-tables.js';

/**
 * `transition-guard migrate`: the migration it writes, run by each ORM's own migration runner
 * (Prisma's cannot run here, offline: its SQL file is applied as the script it is, the way
 * `prisma migrate deploy` sends it), on each database. The parcel machine's v2 renames
 * `shipped` to `in_transit` and `lost` to `returned`.
 */
const FIXTURES = 'test/fixtures/changing-machines';
const ROWS: readonly [string, number][] = [
  ['shipped', 9],
  ['lost', 3],
  ['packed', 2],
  ['delivered', 2],
];
const tables: Tables = (d) => [
  ...libraryTables(d),
  `CREATE TABLE ${d.q('parcels')} (${d.q('id')} ${d.serial}, ${d.q('status')} varchar(32) NOT NULL, ${d.q('version')} integer NOT NULL)`,
];

describe.each(tierDatabases('sqlite', 'postgres', 'mysql'))(
  'transition-guard migrate on %s',
  (db) => {
    let place: Place;
    let sql: RawSql;
    let before: MachineLock;
    let after: MachineLock;
    const folder = resolve(`.data/migrations-${String(process.pid)}-${db}`);
    const table = {
      resource: 'parcel',
      table: 'parcels',
      id: 'id',
      state: 'status',
      version: 'version',
      log: { table: 'transition_log', column: logColumnName },
    };

    beforeAll(async () => {
      place = await freshPlace(db, `tg_migrate_${String(process.pid)}`, tables);
      sql = rawSql(db, place.where);
      before = parseLock(readFileSync(join(FIXTURES, 'parcel.lock.json'), 'utf8'));
      after = await lockOf(join(FIXTURES, 'parcel.machine.json'));
    });
    afterAll(async () => {
      await sql.end();
      await place.drop();
      rmSync(folder, { recursive: true, force: true });
    });

    /** Rows in the v1 states, then v1's trigger, as the deployed app left them. */
    async function deployedV1(): Promise<void> {
      for (const statement of machineTriggerStatements(db, before, table).uninstall) {
        await sql.query(statement);
      }
      await sql.query(`DELETE FROM ${sql.q('parcels')}`);
      await sql.query(`DELETE FROM ${sql.q('transition_log')}`);
      for (const [state, n] of ROWS) {
        for (let i = 0; i < n; i++) {
          await sql.insert(
            `INSERT INTO ${sql.q('parcels')} (${sql.q('status')}, ${sql.q('version')}) VALUES (${sql.p(1)}, 0)`,
            [state],
          );
        }
      }
      for (const statement of machineTriggerStatements(db, before, table).install) {
        await sql.query(statement);
      }
    }

    function options(orm: MigrationOrm): MigrateCliOptions {
      return {
        map: ['shipped=in_transit', 'lost=returned'],
        orm,
        dialect: db,
        table: 'parcels',
        state: 'status',
        id: 'id',
        version: 'version',
        log: 'transition_log',
        batch: '4',
        trigger: true,
        out: join(folder, orm),
      };
    }

    it.each(MIGRATION_ORMS)(
      'a %s migration moves every row of a removed state in batches, logs each, and installs the new trigger',
      async (orm) => {
        await deployedV1();
        const ids = await sql.query<{ id: number; status: string }>(
          `SELECT ${sql.q('id')}, ${sql.q('status')} FROM ${sql.q('parcels')} ORDER BY ${sql.q('id')}`,
        );
        mkdirSync(folder, { recursive: true });
        const files = migrationFiles(before, after, options(orm), new Date());
        writeMigrationFiles(files);
        await runMigration(orm, db, place.where, files[0].path);

        const rows = await sql.query<{ id: number; status: string; version: unknown }>(
          `SELECT ${sql.q('id')}, ${sql.q('status')}, ${sql.q('version')} FROM ${sql.q('parcels')} ORDER BY ${sql.q('id')}`,
        );
        const renamed: Record<string, string> = { shipped: 'in_transit', lost: 'returned' };
        expect(rows.map((r) => [r.id, r.status, Number(r.version)])).toEqual(
          ids.map((r) => [r.id, renamed[r.status] ?? r.status, renamed[r.status] ? 1 : 0]),
        );
        const log = await sql.query(
          `SELECT * FROM ${sql.q('transition_log')} ORDER BY ${sql.q('id')}`,
        );
        expect(
          log
            .map((l) => [
              String(l.resourceId),
              l.from_state,
              l.to_state,
              Number(l.version),
              l.actor,
              l.resource,
              l.event,
            ])
            .sort(),
        ).toEqual(
          ids
            .filter((r) => renamed[r.status])
            .map((r) => [
              String(r.id),
              r.status,
              renamed[r.status],
              1,
              'system:migration',
              'parcel',
              '(migration)',
            ])
            .sort(),
        );
        expect(log.every((l) => typeof l.at === 'string' && !Number.isNaN(Date.parse(l.at)))).toBe(
          true,
        );

        // The new machine's trigger is in place: its hash, and it refuses what v2 refuses.
        const [installed] = await sql.query<{ body: unknown }>(
          installedTriggerQuery(DIALECTS[db], 'parcels'),
        );
        expect(installedHash(installed?.body)).toBe(after.hash);
        const inTransit = rows.find((r) => r.status === 'in_transit')!;
        await expect(
          sql.query(
            `UPDATE ${sql.q('parcels')} SET ${sql.q('status')} = 'packed' WHERE ${sql.q('id')} = ${String(inTransit.id)}`,
          ),
        ).rejects.toThrow(/transition_guard:illegal-transition/);
        await sql.query(
          `UPDATE ${sql.q('parcels')} SET ${sql.q('status')} = 'delivered', ${sql.q('version')} = 2 WHERE ${sql.q('id')} = ${String(inTransit.id)}`,
        );
      },
    );

    it('without --trigger on a table that has the old trigger, fails with its refusal and moves nothing', async () => {
      await deployedV1();
      const files = migrationFiles(
        before,
        after,
        { ...options('typeorm'), trigger: false, out: join(folder, 'no-trigger') },
        new Date(),
      );
      writeMigrationFiles(files);
      await expect(runMigration('typeorm', db, place.where, files[0].path)).rejects.toThrow(
        /transition_guard:illegal-transition/,
      );
      const counts = await sql.query<{ status: string; n: unknown }>(
        `SELECT ${sql.q('status')}, COUNT(*) AS n FROM ${sql.q('parcels')} GROUP BY ${sql.q('status')} ORDER BY ${sql.q('status')}`,
      );
      expect(counts.map((c) => [c.status, Number(c.n)])).toEqual(
        [...ROWS].sort(([a], [b]) => a.localeCompare(b)),
      );
      expect(await sql.query(`SELECT * FROM ${sql.q('transition_log')}`)).toEqual([]);
    });

    it('refuses a migration while a removed state has no mapping, naming it', () => {
      expect(() =>
        migrationFiles(before, after, { ...options('typeorm'), map: ['shipped=in_transit'] }),
      ).toThrow(/removed state\(s\) without a mapping: lost; .*--map lost=<state>/);
      expect(() =>
        migrationFiles(before, after, {
          ...options('typeorm'),
          map: ['shiped=in_transit', 'lost=returned'],
        }),
      ).toThrow(/shiped/);
      expect(() => migrationFiles(before, after, { ...options('typeorm'), batch: '0' })).toThrow(
        /--batch 0/,
      );
    });
  },
);

/** The migration run as its ORM runs it. */
async function runMigration(orm: MigrationOrm, db: Db, where: string, file: string): Promise<void> {
  if (orm === 'typeorm') {
    const mod = (await import(pathToFileURL(file).href)) as Record<
      string,
      new () => MigrationInterface
    >;
    const options =
      db === 'sqlite'
        ? { type: 'better-sqlite3' as const, database: where }
        : db === 'postgres'
          ? { type: 'postgres' as const, url: where }
          : { type: 'mysql' as const, url: where };
    // 'none' runs the batches as transactions of their own; 'all' (the default) as savepoints;
    // on MySQL the migration says transaction = false, which 'all' refuses.
    if (db === 'mysql') {
      const all = await new DataSource({ ...options, migrations: Object.values(mod) }).initialize();
      try {
        await expect(all.runMigrations()).rejects.toThrow(/transaction/i);
      } finally {
        await all.destroy();
      }
    }
    const ds = await new DataSource({
      ...options,
      migrations: Object.values(mod),
      migrationsTransactionMode: db === 'postgres' ? 'none' : db === 'mysql' ? 'each' : 'all',
    }).initialize();
    try {
      expect(await ds.runMigrations()).toHaveLength(1);
    } finally {
      await ds.destroy();
    }
    return;
  }
  if (orm === 'mikro-orm') {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const [name, cls] = Object.entries(mod)[0];
    const orm = await MikroORM.init({
      ...(db === 'sqlite'
        ? { driver: BetterSqliteDriver, dbName: where }
        : { driver: db === 'postgres' ? PostgreSqlDriver : MariaDbDriver, clientUrl: where }),
      entities: [],
      discovery: { warnWhenNoEntities: false },
      extensions: [Migrator],
      // PostgreSQL: each batch its own transaction; SQLite: savepoints of the migrator's one.
      migrations: {
        migrationsList: [{ name, class: cls }],
        snapshot: false,
        transactional: db !== 'sqlite',
      },
    } as Parameters<typeof MikroORM.init>[0]);
    try {
      expect(await orm.migrator.up()).toHaveLength(1);
    } finally {
      await orm.close(true);
    }
    return;
  }
  if (orm === 'drizzle') {
    const migrationsFolder = resolve(file, '..');
    if (db === 'sqlite') {
      const client = new Database(where);
      try {
        migrateSqlite(drizzleSqlite(client), { migrationsFolder });
      } finally {
        client.close();
      }
    } else if (db === 'postgres') {
      const pool = new pg.Pool({ connectionString: where, max: 2 });
      try {
        await migratePg(drizzlePg(pool), { migrationsFolder });
      } finally {
        await pool.end();
      }
    } else {
      const pool = mysql.createPool({ uri: where, connectionLimit: 2 });
      try {
        await migrateMysql(drizzleMysql(pool), { migrationsFolder });
      } finally {
        await pool.end();
      }
    }
    return;
  }
  // Prisma: `prisma migrate deploy` sends migration.sql as one script.
  const script = readFileSync(file, 'utf8');
  if (db === 'sqlite') {
    const client = new Database(where);
    try {
      client.exec(script);
    } finally {
      client.close();
    }
  } else if (db === 'postgres') {
    const client = new pg.Client({ connectionString: where });
    await client.connect();
    try {
      await client.query(script);
    } finally {
      await client.end();
    }
  } else {
    const client = await mysql.createConnection({ uri: where, multipleStatements: true });
    try {
      await client.query(script);
    } finally {
      await client.end();
    }
  }
}

describe('the TypeScript migrations migrate writes', () => {
  const folder = resolve(`.data/migrations-tsc-${String(process.pid)}`);
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('compile under strict settings (noImplicitOverride, NodeNext), for every dialect', async () => {
    const ts = (await import('typescript')).default;
    const before = parseLock(readFileSync(join(FIXTURES, 'parcel.lock.json'), 'utf8'));
    const after = await lockOf(join(FIXTURES, 'parcel.machine.json'));
    const files = (['sqlite', 'postgres', 'mysql'] as const).flatMap((dialect) =>
      (['typeorm', 'mikro-orm'] as const).flatMap((orm) =>
        migrationFiles(before, after, {
          map: ['shipped=in_transit', 'lost=returned'],
          orm,
          dialect,
          table: 'parcels',
          state: 'status',
          id: 'id',
          version: 'version',
          log: 'transition_log',
          batch: '100',
          trigger: true,
          out: join(folder, dialect, orm),
        }),
      ),
    );
    writeMigrationFiles(files);
    const program = ts.createProgram(
      files.map((f) => f.path),
      {
        strict: true,
        noImplicitOverride: true,
        noUnusedLocals: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        skipLibCheck: true,
        types: [],
      },
    );
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map(
        (d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
      );
    expect(problems).toEqual([]);
    expect(files).toHaveLength(6);
  }, 120_000);
});
