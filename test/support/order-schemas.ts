import { EntitySchema as MikroEntitySchema } from '@mikro-orm/core';
import { EntitySchema as TypeOrmEntitySchema } from 'typeorm';
import { int, mysqlTable, varchar as mysqlVarchar } from 'drizzle-orm/mysql-core';
import { integer, pgTable, serial, varchar } from 'drizzle-orm/pg-core';
import { integer as sqliteInteger, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The `orders` table of `orderTables()` as each ORM declares it: the e2e apps and the stores
 * benchmark read and write it through these.
 */
export interface OrderRow {
  id: number;
  status: string;
  total: number;
  paid: number;
  version: number;
}

export const sqliteOrders = sqliteTable('orders', {
  id: sqliteInteger('id').primaryKey({ autoIncrement: true }),
  status: text('status').notNull(),
  total: sqliteInteger('total').notNull(),
  paid: sqliteInteger('paid').notNull(),
  version: sqliteInteger('version').notNull(),
});

export const pgOrders = pgTable('orders', {
  id: serial('id').primaryKey(),
  status: varchar('status', { length: 32 }).notNull(),
  total: integer('total').notNull(),
  paid: integer('paid').notNull(),
  version: integer('version').notNull(),
});

export const mysqlOrders = mysqlTable('orders', {
  id: int('id').primaryKey().autoincrement(),
  status: mysqlVarchar('status', { length: 32 }).notNull(),
  total: int('total').notNull(),
  paid: int('paid').notNull(),
  version: int('version').notNull(),
});

export const mikroOrders = new MikroEntitySchema<OrderRow>({
  name: 'Order',
  tableName: 'orders',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    status: { type: 'string' },
    total: { type: 'integer' },
    paid: { type: 'integer' },
    version: { type: 'integer' },
  },
});

export const typeormOrders = new TypeOrmEntitySchema<OrderRow>({
  name: 'Order',
  tableName: 'orders',
  columns: {
    id: { type: 'integer', primary: true, generated: 'increment' },
    status: { type: 'varchar', length: 32 },
    total: { type: 'integer' },
    paid: { type: 'integer' },
    version: { type: 'integer' },
  },
});
