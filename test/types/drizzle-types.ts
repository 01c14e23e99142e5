/**
 * Type-level tests of the Drizzle stores: compiled by `npm run lint` (tsc), never run. Each
 * `@ts-expect-error` line must fail to compile.
 */
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { DrizzleTransitionStore } from '../../src/store/drizzle/index.js';

const tickets = sqliteTable('tickets', {
  id: integer('id').primaryKey(),
  status: text('status').notNull(),
  version: integer('version').notNull(),
  owner: text('owner'),
});
declare const db: BetterSQLite3Database;

export const store = new DrizzleTransitionStore(db, {
  table: tickets,
  stateProperty: 'status',
  versionProperty: 'version',
  context: (t) => ({ owner: t.owner }),
});

// @ts-expect-error a misspelled state column is a compile error
new DrizzleTransitionStore(db, { table: tickets, stateProperty: 'statuss' });
// @ts-expect-error the state lives in a string column, not a number one
new DrizzleTransitionStore(db, { table: tickets, stateProperty: 'version' });
new DrizzleTransitionStore(db, {
  table: tickets,
  stateProperty: 'status',
  // @ts-expect-error the version lives in a number column
  versionProperty: 'owner',
});

export async function changesAreTyped(): Promise<void> {
  const record = {} as Parameters<typeof store.compareAndSet>[3];
  await store.compareAndSet(
    '1',
    { state: 'open' },
    { state: 'closed', changes: { owner: 'ann' } },
    record,
  );
  await store.compareAndSet(
    '1',
    { state: 'open' },
    // @ts-expect-error changes name the table's columns
    { state: 'closed', changes: { ownr: 'ann' } },
    record,
  );
  await store.compareAndSet(
    '1',
    { state: 'open' },
    // @ts-expect-error with the columns' types
    { state: 'closed', changes: { owner: 7 } },
    record,
  );
}
