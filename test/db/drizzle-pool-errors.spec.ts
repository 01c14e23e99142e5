import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { DrizzleTransitionStore } from '../../src/store/drizzle/index.js';
import { StoreUnavailableError } from '../../src/store/index.js';
import { pgOrders } from '../support/order-schemas.js';
import { freshDatabase } from '../support/pg-database.js';
import { createPostgresTables, orderTables } from '../support/store-tables.js';

/**
 * A node-postgres pool given to Drizzle without an `error` listener, as most apps write it:
 * PostgreSQL ending its sessions (`pg_terminate_backend`, a restart) emitted `error` on the pool
 * for idle connections and on a checked-out client between two queries, with no listener: the
 * process died ("Unhandled 'error' event", 57P01). The store gives the pool and its connections
 * a listener; the process lives, the next calls work.
 */
describe('Drizzle on a pool without an error listener', () => {
  it('survives its sessions terminated, idle and checked out, and serves again', async () => {
    const database = await freshDatabase('tg_drizzle_pool_errors');
    if (!database) throw new Error('no PostgreSQL server');
    const pool = new pg.Pool({ connectionString: database.url, max: 4 });
    const admin = new pg.Client({ connectionString: database.url });
    try {
      await createPostgresTables(database.url, orderTables);
      await pool.query(
        `INSERT INTO orders (status, total, paid, version) VALUES ('pending', 1, 0, 0)`,
      );
      const store = new DrizzleTransitionStore(drizzle(pool), {
        table: pgOrders,
        stateProperty: 'status',
        versionProperty: 'version',
      });
      expect(pool.listenerCount('error')).toBe(1);
      // Three idle connections in the pool, one checked out by the app between two queries.
      await Promise.all([1, 2, 3].map(() => store.load('1')));
      const held = await pool.connect();
      await held.query('SELECT 1');
      // pg-pool listens on idle clients only: the store's listener is what a checked-out one has.
      expect(held.listenerCount('error')).toBe(1);
      await admin.connect();
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      await new Promise((r) => setTimeout(r, 300));
      held.release(true);
      // Still alive; the pool dropped the dead connections: the store serves again.
      let loaded;
      for (let attempt = 0; attempt < 3 && !loaded; attempt++) {
        loaded = await store.load('1').catch((err: unknown) => {
          expect(err).toBeInstanceOf(StoreUnavailableError);
          return undefined;
        });
      }
      expect(loaded).toMatchObject({ state: 'pending', version: 0 });
    } finally {
      await admin.end();
      await pool.end();
      await database.stop();
    }
  });
});
