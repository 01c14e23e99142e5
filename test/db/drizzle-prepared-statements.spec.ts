import { integer, pgTable, serial, varchar } from 'drizzle-orm/pg-core';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { DrizzleTransitionStore } from '../../src/store/drizzle/index.js';
import { pgOrders } from '../support/order-schemas.js';
import { record } from '../conformance/transition-store.conformance.js';
import { freshDatabase } from '../support/pg-database.js';
import { createPostgresTables, orderTables } from '../support/store-tables.js';

/**
 * The Drizzle store prepares its load once, under a name PostgreSQL keeps per connection. Two
 * stores on one table that select other columns must not claim one name for two statements
 * (node-postgres refuses: "Prepared statements must be unique").
 */

/** The same `orders` table, declared with fewer columns (another module's view of it). */
const orderStatuses = pgTable('orders', {
  id: serial('id').primaryKey(),
  status: varchar('status', { length: 32 }).notNull(),
  version: integer('version').notNull(),
});

describe('Drizzle stores sharing a table on PostgreSQL', () => {
  /**
   * A fresh database with the orders table and one row, reached through one connection (so that
   * both stores' statements are prepared on it), and two stores with two shapes of the table.
   */
  async function onOneConnection(
    name: string,
    status: string,
    run: (stores: {
      full: DrizzleTransitionStore<typeof pgOrders>;
      narrow: DrizzleTransitionStore<typeof orderStatuses>;
      pool: pg.Pool;
    }) => Promise<void>,
  ) {
    const database = await freshDatabase(name);
    if (!database) throw new Error('no PostgreSQL server');
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    try {
      await createPostgresTables(database.url, orderTables);
      await pool.query(`INSERT INTO orders (status, total, paid, version) VALUES ($1, 100, 0, 3)`, [
        status,
      ]);
      const db = drizzle(pool);
      const full = new DrizzleTransitionStore(db, {
        table: pgOrders,
        stateProperty: 'status',
        versionProperty: 'version',
      });
      const narrow = new DrizzleTransitionStore(db, {
        table: orderStatuses,
        stateProperty: 'status',
        versionProperty: 'version',
      });
      await run({ full, narrow, pool });
    } finally {
      await pool.end();
      await database.stop();
    }
  }

  it('load through both on one connection, each with its own prepared statement', async () => {
    await onOneConnection('tg_drizzle_prepared', 'paid', async ({ full, narrow }) => {
      for (let i = 0; i < 2; i++) {
        expect(await full.load('1')).toMatchObject({ state: 'paid', version: 3 });
        expect(await narrow.load('1')).toEqual({
          state: 'paid',
          version: 3,
          context: { id: 1, status: 'paid', version: 3 },
        });
      }
    });
  });

  it('prepare their compare-and-sets per set of changed columns, on one connection', async () => {
    await onOneConnection('tg_drizzle_prepared_cas', 'pending', async ({ full, narrow, pool }) => {
      // Each statement twice (prepared, then reused), with and without a version, several sets
      // of changed columns and both stores' shapes of the table on the one connection.
      let version = 3;
      for (let i = 0; i < 2; i++) {
        for (const changes of [{ paid: 10 + i }, { paid: 20 + i, total: 200 }, {}]) {
          const hit = await full.compareAndSet(
            '1',
            { state: 'pending', version },
            { state: 'pending', changes },
            { record: record('1', 'PAY', version + 1), returning: true },
          );
          version++;
          expect(hit).toMatchObject({ written: true, version, row: { version } });
        }
        const unversioned = await narrow.compareAndSet(
          '1',
          { state: 'pending' },
          { state: 'pending' },
          { record: record('1', 'PAY', undefined) },
        );
        version++;
        expect(unversioned).toEqual({ written: true, version });
        const miss = await full.compareAndSet(
          '1',
          { state: 'pending', version: version - 1 },
          { state: 'paid', changes: { paid: 999 } },
          { record: record('1', 'PAY', version) },
        );
        expect(miss).toEqual({ written: false });
      }
      // Many writes, alternating two prepared statements: each value lands where it should.
      const columns = ['paid', 'total'] as const;
      for (let n = 0; n < 40; n++) {
        const changes = { [columns[n % 2]]: n } as { paid?: number; total?: number };
        const w = await full.compareAndSet(
          '1',
          { state: 'pending', version },
          { state: 'pending', changes },
          { record: record('1', 'PAY', version + 1) },
        );
        version++;
        expect(w).toEqual({ written: true, version });
      }
      const { rows } = await pool.query<{ paid: number; total: number; version: number }>(
        'SELECT paid, total, version FROM orders WHERE id = 1',
      );
      expect(rows[0]).toEqual({ paid: 38, total: 39, version });
    });
  });
});
