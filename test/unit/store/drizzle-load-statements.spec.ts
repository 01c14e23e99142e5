import { integer, pgTable, serial, varchar } from 'drizzle-orm/pg-core';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { DrizzleTransitionStore } from '../../../src/store/drizzle/index.js';
import { pgOrders } from '../../support/order-schemas.js';
import { freshDatabase } from '../../support/pg-database.js';
import { createPostgresTables, orderTables } from '../../support/store-tables.js';

/**
 * The Drizzle store prepares its load once, under a name PostgreSQL keeps per connection. Two
 * stores on one table that select other columns must not claim one name for two statements
 * (node-postgres refuses: "Prepared statements must be unique").
 */
const suite = process.env.TG_POSTGRES_URL ? describe : describe.skip;
if (!process.env.TG_POSTGRES_URL) console.warn('Drizzle prepared loads: TG_POSTGRES_URL is unset');

/** The same `orders` table, declared with fewer columns (another module's view of it). */
const orderStatuses = pgTable('orders', {
  id: serial('id').primaryKey(),
  status: varchar('status', { length: 32 }).notNull(),
  version: integer('version').notNull(),
});

suite('Drizzle stores sharing a table on PostgreSQL', () => {
  it('load through both on one connection, each with its own prepared statement', async () => {
    const database = await freshDatabase('tg_drizzle_prepared');
    if (!database) throw new Error('no PostgreSQL server');
    // One connection: both stores' statements are prepared on it.
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    try {
      await createPostgresTables(database.url, orderTables);
      await pool.query(
        `INSERT INTO orders (status, total, paid, version) VALUES ('paid', 100, 100, 3)`,
      );
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
      for (let i = 0; i < 2; i++) {
        expect(await full.load('1')).toMatchObject({ state: 'paid', version: 3 });
        expect(await narrow.load('1')).toEqual({
          state: 'paid',
          version: 3,
          context: { id: 1, status: 'paid', version: 3 },
        });
      }
    } finally {
      await pool.end();
      await database.stop();
    }
  });
});
