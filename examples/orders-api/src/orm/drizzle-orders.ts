import { int, mysqlTable, varchar as mysqlVarchar } from 'drizzle-orm/mysql-core';
import { integer, pgTable, serial, varchar } from 'drizzle-orm/pg-core';
import { integer as sqliteInteger, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** The demo's `orders` table (created by TypeORM from the Order entity) as Drizzle declares it. */
export const sqliteOrders = sqliteTable('orders', {
  id: sqliteInteger('id').primaryKey({ autoIncrement: true }),
  status: text('status').notNull(),
  total: sqliteInteger('total').notNull(),
  paid: sqliteInteger('paid').notNull(),
  carrier: text('carrier'),
  trackingNumber: text('trackingNumber'),
  version: sqliteInteger('version').notNull(),
});

export const pgOrders = pgTable('orders', {
  id: serial('id').primaryKey(),
  status: varchar('status', { length: 64 }).notNull(),
  total: integer('total').notNull(),
  paid: integer('paid').notNull(),
  carrier: varchar('carrier', { length: 64 }),
  trackingNumber: varchar('trackingNumber', { length: 64 }),
  version: integer('version').notNull(),
});

export const mysqlOrders = mysqlTable('orders', {
  id: int('id').primaryKey().autoincrement(),
  status: mysqlVarchar('status', { length: 64 }).notNull(),
  total: int('total').notNull(),
  paid: int('paid').notNull(),
  carrier: mysqlVarchar('carrier', { length: 64 }),
  trackingNumber: mysqlVarchar('trackingNumber', { length: 64 }),
  version: int('version').notNull(),
});
