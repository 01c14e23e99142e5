import { createHash } from 'node:crypto';
import type { DataSource, EntityManager, EntityTarget, QueryResult, QueryRunner } from 'typeorm';
import {
  ambientTransaction,
  joinedTransaction,
  type JoinedTransaction,
  type TransactionHostLike,
} from '../ambient-transaction.js';
import { MYSQL, POSTGRES, SQLITE, type SqlDialect } from '../sql/dialect.js';
import type {
  LibraryTable,
  RunMode,
  SqlConnection,
  SqlQueries,
  SqlRow,
  TableNames,
} from '../sql/sql-connection.js';
import { settled } from '../settled.js';
import { onConnection } from './connection-queue.js';
import { TransitionTimerEntry } from './timer.entity.js';
import { HandledTransitionEntry, TransitionOutboxEntry } from './outbox.entities.js';
import { IdempotencyKeyEntry } from './idempotency-key.entity.js';
import { TransitionLogEntry } from './transition-log.entity.js';

const ENTITIES: Readonly<Record<LibraryTable, EntityTarget<object>>> = {
  transition_log: TransitionLogEntry,
  idempotency_keys: IdempotencyKeyEntry,
  transition_outbox: TransitionOutboxEntry,
  transition_handled: HandledTransitionEntry,
  transition_timers: TransitionTimerEntry,
};

/** The dialect of a TypeORM DataSource, from its `type`. */
function dialectOf(dataSource: DataSource): SqlDialect {
  const type = dataSource.options.type;
  if (type === 'postgres') return POSTGRES;
  if (type === 'mysql' || type === 'mariadb') return MYSQL;
  if (/sqlite/.test(type)) return SQLITE;
  throw new Error(
    `nestjs-transition-guard/typeorm: the DataSource's type is '${type}'; the stores run on SQLite (better-sqlite3, sqlite), PostgreSQL (postgres) and MySQL or MariaDB (mysql, mariadb).`,
  );
}

/**
 * How the SQL core runs on a TypeORM DataSource (SQLite, PostgreSQL, MySQL, MariaDB): each call
 * on a query runner of its own, in a transaction when asked (on SQLite a locked one starts
 * `BEGIN IMMEDIATE`, taking the write lock first), one call at a time on SQLite's one connection;
 * inside the app's transaction (`transactionHost`, while one is active) on its query runner, so
 * that it commits with it. `beforeCommit` hooks get the transaction's `EntityManager`. The
 * library's tables are named as the DataSource's entities say (naming strategies apply).
 */
export class TypeOrmConnection implements SqlConnection {
  readonly beginsImmediate = true;
  private dialectOf: SqlDialect | undefined;

  constructor(
    readonly dataSource: DataSource,
    private readonly transactionHost?: TransactionHostLike<EntityManager>,
    private readonly label = 'TypeORM store',
  ) {}

  get dialect(): SqlDialect {
    return (this.dialectOf ??= dialectOf(this.dataSource));
  }

  get scope(): unknown {
    return this.dataSource;
  }

  run<T>(mode: RunMode, work: (q: SqlQueries) => Promise<T>): Promise<T> {
    const joined = this.ambient()?.queryRunner;
    if (joined) return work(this.queries(joined));
    return onConnection(this.dataSource, () => this.runNow(mode, work));
  }

  queriesOf(handle: unknown): SqlQueries | undefined {
    const manager = handle as Partial<EntityManager> | undefined;
    return manager?.dataSource === this.dataSource && manager.queryRunner
      ? this.queries(manager.queryRunner)
      : undefined;
  }

  joined(store: string): JoinedTransaction | undefined {
    const tx = this.ambient();
    return tx && joinedTransaction(tx, store);
  }

  inAppTransaction(): boolean {
    return this.ambient() !== undefined;
  }

  libraryTable(table: LibraryTable): TableNames | undefined {
    const entity = ENTITIES[table];
    if (!this.dataSource.hasMetadata(entity)) return undefined;
    const meta = this.dataSource.getMetadata(entity);
    return {
      table: meta.tablePath,
      column: (property) => {
        const column = meta.findColumnWithPropertyName(property);
        if (!column) throw new Error(`${meta.name} has no property '${property}'`);
        return column.databaseName;
      },
    };
  }

  private ambient(): EntityManager | undefined {
    const tx = ambientTransaction(this.transactionHost);
    if (tx && !tx.queryRunner) {
      throw new Error(
        `${this.label}: transactionHost says a transaction is active, but its tx is not a transaction's EntityManager.`,
      );
    }
    return tx;
  }

  private runNow<T>(mode: RunMode, work: (q: SqlQueries) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    // A statement alone (most calls): no transaction, and no async frame of its own.
    if (mode === 'plain') {
      return settled(() => work(this.queries(runner))).finally(() => runner.release());
    }
    return this.inTransaction(runner, mode, work);
  }

  private async inTransaction<T>(
    runner: QueryRunner,
    mode: RunMode,
    work: (q: SqlQueries) => Promise<T>,
  ): Promise<T> {
    try {
      const immediate = mode === 'locked' && this.dialect === SQLITE;
      if (immediate) await runner.query('BEGIN IMMEDIATE');
      else await runner.startTransaction();
      try {
        const result = await work(this.queries(runner));
        if (immediate) await runner.query('COMMIT');
        else await runner.commitTransaction();
        return result;
      } catch (err) {
        if (immediate) await runner.query('ROLLBACK').catch(() => undefined);
        else if (runner.isTransactionActive)
          await runner.rollbackTransaction().catch(() => undefined);
        throw err;
      }
    } finally {
      await runner.release();
    }
  }

  private queries(runner: QueryRunner): SqlQueries {
    return new RunnerQueries(runner, this.dialect === POSTGRES);
  }
}

/**
 * The statements of one query runner: one object per call, its methods shared (no closures per
 * call); PostgreSQL's statements with parameters named, so that the server prepares them once.
 */
class RunnerQueries implements SqlQueries {
  readonly handle: unknown;

  constructor(
    private readonly runner: QueryRunner,
    private readonly named: boolean,
  ) {
    this.handle = runner.manager;
  }

  query(sql: string, params: readonly unknown[]): Promise<SqlRow[]> {
    return this.run(sql, params).then(recordsOf);
  }

  execute(sql: string, params: readonly unknown[]): Promise<number> {
    return this.run(sql, params).then(affectedOf);
  }

  private run(sql: string, params: readonly unknown[]): Promise<QueryResult> {
    return this.named && params.length
      ? runPrepared(this.runner, sql, params)
      : (this.runner.query(sql, [...params], true) as Promise<QueryResult>);
  }
}

const recordsOf = (result: QueryResult) => result.records as SqlRow[];
const affectedOf = (result: QueryResult) => result.affected ?? 0;

/** Statements given a name, by text: at most this many (texts beyond go unnamed). */
const MAX_PREPARED = 1000;
/** Each named text's query config, made once: the same object at every call. */
const configs = new Map<string, string>();
let renamed = 0;

/**
 * PostgreSQL: the statement as node-postgres's query config with a name, which TypeORM's query
 * runner passes on as it is, so that each connection parses and plans it once (unnamed, every
 * call is planned again: a third of a commit's time on the server). The SQL core's texts are a
 * few dozen, fixed per resource and shape; a text beyond `MAX_PREPARED` distinct ones goes
 * unnamed. Statements without parameters (DDL, several statements in one text) are not given to
 * it: a named statement cannot be several.
 *
 * The config reads as its text where TypeORM and loggers use it as one (`String(query)`,
 * `query.slice(...)`): its prototype is the text as a String object. It is not a String object
 * itself: node-postgres copies a config's own properties at every call, and a String object has
 * one per character (a 2 KB statement cost 100 µs a call to copy).
 */
function prepared(sql: string, name?: string): string {
  let config = name === undefined ? configs.get(sql) : undefined;
  if (config === undefined) {
    if (name === undefined && configs.size >= MAX_PREPARED) return sql;
    const text = () => sql;
    config = Object.create(new String(sql), {
      name: { value: name ?? `tg_${hashOf(sql)}`, enumerable: true },
      text: { value: sql, enumerable: true },
      toString: { value: text },
      valueOf: { value: text },
    }) as string;
    configs.set(sql, config);
  }
  return config;
}

/**
 * Runs a prepared statement. A table whose columns changed under a running app (a migration)
 * makes PostgreSQL refuse a prepared `SELECT *` (`cached plan must not change result type`): the
 * text then gets a new name, which every connection prepares afresh, and the call runs again when
 * no transaction of it was aborted by the refusal.
 */
async function runPrepared(
  runner: QueryRunner,
  sql: string,
  params: readonly unknown[],
): Promise<QueryResult> {
  try {
    return await runner.query(prepared(sql), [...params], true);
  } catch (err) {
    if (!planChanged(err)) throw err;
    if (configs.has(sql)) prepared(sql, `tg_r${String(++renamed)}_${hashOf(sql)}`);
    if (runner.isTransactionActive) throw err;
    return runner.query(prepared(sql), [...params], true);
  }
}

/** A statement name's part from its text (a renamed one keeps it: names stay under 63 bytes). */
function hashOf(sql: string): string {
  return createHash('sha256').update(sql).digest('hex').slice(0, 24);
}

/** PostgreSQL's refusal of a prepared statement whose result columns changed. */
function planChanged(err: unknown): boolean {
  const driver = (err as { driverError?: { code?: unknown; message?: unknown } }).driverError;
  return (
    driver?.code === '0A000' &&
    typeof driver.message === 'string' &&
    driver.message.includes('cached plan must not change result type')
  );
}
