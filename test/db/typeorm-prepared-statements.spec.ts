import 'reflect-metadata';
import { Column, DataSource, Entity, PrimaryGeneratedColumn, type Logger } from 'typeorm';
import { TransitionLogEntry, TypeOrmTransitionStore } from '../../src/store/typeorm/index.js';
import { freshDatabase } from '../support/pg-database.js';
import { createPostgresTables, libraryTables } from '../support/store-tables.js';

/**
 * TypeORM on PostgreSQL runs the library's statements prepared, by name. A migration that adds a
 * column under the running app makes PostgreSQL refuse a prepared `SELECT *` ("cached plan must
 * not change result type"): the store prepares it afresh and answers, on the same connection.
 * A logger still reads each statement as its text.
 */
@Entity({ name: 'parcels' })
class Parcel {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'varchar', length: 20 }) state!: string;
  @Column({ type: 'integer' }) version!: number;
}

const record = (version: number) => ({
  resource: 'parcel',
  resourceId: '1',
  event: 'SHIP',
  from: 'packed',
  to: 'shipped',
  version,
  actor: null,
  at: new Date(0),
  transitionId: `00000000-0000-4000-8000-00000000000${String(version)}`,
  reason: null,
  comment: null,
  metadata: null,
  machineVersion: 'abc',
  correlationId: null,
});

describe('TypeORM stores on PostgreSQL, prepared statements', () => {
  it('keep answering after a migration adds a column to a table they read whole', async () => {
    const database = await freshDatabase('tg_typeorm_prepared');
    if (!database) throw new Error('no PostgreSQL server');
    await createPostgresTables(database.url, (d) => [
      `CREATE TABLE parcels (id ${d.serial}, state varchar(20) NOT NULL, version integer NOT NULL)`,
      ...libraryTables(d),
    ]);
    // A logger reading each statement as text, as TypeORM's own loggers do.
    const logged: string[] = [];
    const logger: Logger = {
      logQuery: (query: string) => void logged.push(`${query.slice(0, 7)}|${query}`),
      logQueryError: () => undefined,
      logQuerySlow: () => undefined,
      logSchemaBuild: () => undefined,
      logMigration: () => undefined,
      log: () => undefined,
    };
    // One connection: the statements are prepared on it, and the same one runs after the change.
    const ds = new DataSource({
      type: 'postgres',
      url: database.url,
      entities: [Parcel, TransitionLogEntry],
      poolSize: 1,
      logging: true,
      logger,
    });
    await ds.initialize();
    try {
      await ds.query(`INSERT INTO parcels (state, version) VALUES ('packed', 0)`);
      const store = new TypeOrmTransitionStore(ds, {
        entity: Parcel,
        name: 'parcel',
        stateProperty: 'state',
        versionProperty: 'version',
        log: true,
      });
      const written = await store.compareAndSet(
        '1',
        { state: 'packed', version: 0 },
        { state: 'shipped' },
        { record: record(1) },
      );
      expect(written).toMatchObject({ written: true, version: 1 });
      // Named on the connection, and read as its text by the logger.
      const named = (await ds.query(`SELECT name FROM pg_prepared_statements`)) as {
        name: string;
      }[];
      expect(named.some((n) => n.name.startsWith('tg_'))).toBe(true);
      expect(logged).toContainEqual(
        expect.stringMatching(/^WITH w \|WITH w AS \(UPDATE "parcels"/),
      );
      for (let i = 0; i < 2; i++) {
        expect((await store.history('parcel', '1', { limit: 10 })).entries).toHaveLength(1);
      }
      await ds.query(`ALTER TABLE transition_log ADD COLUMN note text`);
      const after = await store.history('parcel', '1', { limit: 10 });
      expect(after.entries.map((e) => [e.event, e.version])).toEqual([['SHIP', 1]]);
    } finally {
      await ds.destroy();
      await database.stop();
    }
  });
});
