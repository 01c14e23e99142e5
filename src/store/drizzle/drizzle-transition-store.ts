import { getTableName, is, type InferSelectModel, type Table } from 'drizzle-orm';
import { MySqlTable } from 'drizzle-orm/mysql-core';
import { PgTable } from 'drizzle-orm/pg-core';
import type { TransactionHostLike } from '../ambient-transaction.js';
import {
  SqlTransitionStore,
  type ResourceTable,
  type TransitionStoreOptions,
} from '../sql/sql-transition-store.js';
import { DrizzleConnection, type DrizzleDatabase } from './drizzle-connection.js';
import { drizzleTable } from './drizzle-table.js';
import type { TransitionLogTable } from './transition-log.tables.js';

/** A row of a Drizzle table, as a select returns it. */
export type TableRow<T extends Table> = InferSelectModel<T>;

export interface DrizzleTransitionStoreOptions<T extends Table, TContext> extends Omit<
  TransitionStoreOptions<TableRow<T>, TContext>,
  'log'
> {
  /** The Drizzle table whose rows are the resources. */
  readonly table: T;
  /**
   * Write a transition log row in the same transaction as each state change (export the log
   * table of your dialect, `sqliteTransitionLog`, `pgTransitionLog` or `mysqlTransitionLog`, from
   * your schema so that drizzle-kit creates it). A log table object is accepted too (it was the
   * way to say it before 0.2.0).
   */
  readonly log?: boolean | TransitionLogTable;
  /**
   * `@nestjs-cls/transactional`'s `TransactionHost` (Drizzle adapter, PostgreSQL and MySQL):
   * inside `@Transactional()` the store loads and writes in the app's transaction instead of
   * its own. The adapter must be wrapped by `withTransitionHooks`.
   */
  readonly transactionHost?: TransactionHostLike<unknown>;
}

/** The dialect a Drizzle table is declared for. */
const dialectOfTable = (table: Table) =>
  is(table, PgTable) ? 'PostgreSQL' : is(table, MySqlTable) ? 'MySQL' : 'SQLite';

/**
 * A `TransitionStore` on a Drizzle table, for SQLite (better-sqlite3), PostgreSQL (node-postgres)
 * and MySQL or MariaDB (mysql2): the SQL core's store on a `DrizzleConnection`, its columns read
 * from the table. `compareAndSet` is one `UPDATE ... SET state, version = version + 1, changes
 * WHERE id AND state [AND version]`, prepared once per set of changed columns; the log row, the
 * outbox messages and the `beforeCommit` hooks commit with it. The state and version properties
 * are checked against the table's columns at compile time.
 *
 * @example
 * const store = new DrizzleTransitionStore(db, {
 *   table: orders, stateProperty: 'status', versionProperty: 'version', log: true,
 *   context: (o) => ({ total: o.total, paid: o.paid }),
 * });
 */
export class DrizzleTransitionStore<
  T extends Table,
  TContext = TableRow<T>,
> extends SqlTransitionStore<TableRow<T>, TContext> {
  private readonly drizzle: DrizzleConnection;

  constructor(
    db: DrizzleDatabase,
    private readonly tableOptions: DrizzleTransitionStoreOptions<T, TContext>,
  ) {
    const connection = new DrizzleConnection(db, tableOptions.transactionHost);
    const name = tableOptions.name ?? getTableName(tableOptions.table);
    const { stateProperty, versionProperty, idProperty, context, contextProperties } = tableOptions;
    super(connection, {
      stateProperty,
      versionProperty,
      idProperty,
      context,
      contextProperties,
      log: tableOptions.log !== undefined && tableOptions.log !== false,
      table: name,
      name,
    });
    this.drizzle = connection;
  }

  protected override describeTable(): ResourceTable<TableRow<T>> {
    return drizzleTable(this.tableOptions.table, this.properties, {
      sqlite: this.drizzle.dialect.name === 'sqlite',
    });
  }

  /**
   * Checks at bootstrap that the named properties are columns of the table, and that the table
   * and the log table are of the database's dialect.
   */
  override verify(): void {
    const where = `DrizzleTransitionStore '${this.name}'`;
    try {
      super.verify();
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message} Fix the store's options.`, {
        cause: err,
      });
    }
    const database = { sqlite: 'SQLite', postgres: 'PostgreSQL', mysql: 'MySQL' }[
      this.drizzle.dialect.name
    ];
    const logTable = typeof this.tableOptions.log === 'object' ? this.tableOptions.log : undefined;
    const tables: [string, Table][] = [['table', this.tableOptions.table]];
    if (logTable) tables.push(['log', logTable]);
    for (const [option, table] of tables) {
      if (dialectOfTable(table) !== database) {
        throw new Error(
          `${where}: the ${option} option is a ${dialectOfTable(table)} table but the database is ${database}. ` +
            (option === 'log' ? 'Use log: true.' : `Pass the table defined for ${database}.`),
        );
      }
    }
  }
}
