import { LOG_COLUMNS } from '../log-rows.js';
import { DIALECTS, quotePath, type DialectName, type SqlDialect } from './dialect.js';
import type { TriggerTable } from './machine-trigger.js';
import type { TableNames } from './sql-connection.js';

/** Rows of a state the new machine no longer has, moved to the state that replaces it. */
export interface StateMove {
  readonly from: string;
  readonly to: string;
}

/** The statements that move one state's rows, batch by batch or all at once. */
export interface StateMoveStatements {
  /**
   * One batch (at most `batchSize` rows, lowest ids first), to run in order in one
   * transaction; repeat while `remaining` returns a row.
   */
  readonly batch: readonly string[];
  /** One row (column `remaining`) while rows are left in the old state; none when done. */
  readonly remaining: string;
  /** The whole move in one transaction: for a migration that is a SQL file. */
  readonly whole: readonly string[];
}

/** The actor of the log row a moved row gets. */
export const MIGRATION_ACTOR = 'system:migration';

/**
 * The statements a migration runs to move the rows of a state the machine no longer has
 * (`from`) to the state that replaces it (`to`): each moved row gets `version = version + 1`
 * (a request that read it before the move then loses its compare-and-set: 409, not a lost
 * update) and, when the table has a log, one log row (actor `system:migration`, event
 * `(migration)`, the new version). A batch takes its rows' locks first and moves them in one
 * statement on PostgreSQL (a data-modifying CTE); on MySQL/MariaDB the log row's `INSERT ...
 * SELECT ... FOR UPDATE` locks the batch that the `UPDATE ... ORDER BY ... LIMIT` then moves
 * (under REPEATABLE READ, MySQL's default); on SQLite the first write takes the database's
 * write lock.
 *
 * @example
 * const move = stateMoveStatements('postgres', {
 *   resource: 'parcel', table: 'parcels', id: 'id', state: 'status', version: 'version',
 * }, { from: 'shipped', to: 'in_transit' });
 * while ((await dataSource.query(move.remaining)).length > 0) {
 *   await dataSource.transaction(async (tx) => {
 *     for (const sql of move.batch) await tx.query(sql);
 *   });
 * }
 */
export function stateMoveStatements(
  dialectName: DialectName,
  table: TriggerTable,
  move: StateMove,
  options: { readonly batchSize?: number } = {},
): StateMoveStatements {
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer (got ${batchSize})`);
  }
  if (move.from === move.to) {
    throw new RangeError(`a state cannot move to itself (${move.from})`);
  }
  const p = new MoveParts(DIALECTS[dialectName], table, move);
  const remaining = `SELECT 1 AS remaining FROM ${p.table} WHERE ${p.inFrom()} LIMIT 1`;
  if (p.d.name === 'postgres') {
    const picked =
      `picked AS (SELECT ${p.id} FROM ${p.table} WHERE ${p.inFrom()} ` +
      `ORDER BY ${p.id} LIMIT ${batchSize} FOR UPDATE)`;
    return {
      batch: [p.postgresMove(picked)],
      remaining,
      whole: [p.postgresMove(undefined)],
    };
  }
  const ids = `SELECT ${p.id} FROM ${p.table} WHERE ${p.inFrom()} ORDER BY ${p.id}`;
  if (p.d.name === 'mysql') {
    return {
      batch: [
        ...p.logInsert('', ` ORDER BY r.${p.id} LIMIT ${batchSize} FOR UPDATE`),
        `${p.update()} WHERE ${p.inFrom()} ORDER BY ${p.id} LIMIT ${batchSize}`,
      ],
      remaining,
      whole: [...p.logInsert('', ' FOR UPDATE'), `${p.update()} WHERE ${p.inFrom()}`],
    };
  }
  const batchIds = `${p.id} IN (${ids} LIMIT ${batchSize})`;
  return {
    batch: [...p.logInsert(` AND r.${batchIds}`, ''), `${p.update()} WHERE ${batchIds}`],
    remaining,
    whole: [...p.logInsert('', ''), `${p.update()} WHERE ${p.inFrom()}`],
  };
}

/** The pieces every dialect's move is built from. */
class MoveParts {
  readonly table: string;
  readonly id: string;
  readonly state: string;
  readonly version: string | undefined;

  constructor(
    readonly d: SqlDialect,
    readonly t: TriggerTable,
    readonly move: StateMove,
  ) {
    this.table = quotePath(d, t.table);
    this.id = d.quote(t.id);
    this.state = d.quote(t.state);
    this.version = t.version === undefined ? undefined : d.quote(t.version);
  }

  inFrom(): string {
    return `${this.state} = ${this.d.literal(this.move.from)}`;
  }

  update(): string {
    const version = this.version ? `, ${this.version} = ${this.version} + 1` : '';
    return `UPDATE ${this.table} SET ${this.state} = ${this.d.literal(this.move.to)}${version}`;
  }

  /**
   * `INSERT INTO log (...) SELECT ...` of the rows `r` about to move (`extra`: more conditions,
   * `tail`: order, limit, lock); none without a log.
   */
  logInsert(extra: string, tail: string): string[] {
    const log = this.t.log;
    if (!log) return [];
    const version = this.version ? `r.${this.version} + 1` : 'NULL';
    return [
      `${this.logHead(log)} SELECT ${this.logValues(`r.${this.id}`, version)} FROM ${this.table} AS r ` +
        `WHERE r.${this.inFrom()}${extra}${tail}`,
    ];
  }

  /**
   * PostgreSQL: the move and its log rows in one statement, `picked` (locked first) bounding
   * the batch; undefined moves every row.
   */
  postgresMove(picked: string | undefined): string {
    const setVersion = this.version ? `, ${this.version} = r.${this.version} + 1` : '';
    const back = this.version ? `r.${this.id}, r.${this.version}` : `r.${this.id}`;
    const moved =
      `moved AS (UPDATE ${this.table} AS r SET ${this.state} = ${this.d.literal(this.move.to)}${setVersion}` +
      (picked ? ` FROM picked WHERE r.${this.id} = picked.${this.id} AND` : ' WHERE') +
      ` r.${this.inFrom()} RETURNING ${back})`;
    const log = this.t.log;
    const logged = log
      ? `, logged AS (${this.logHead(log)} SELECT ${this.logValues(
          `moved.${this.id}`,
          this.version ? `moved.${this.version}` : 'NULL',
        )} FROM moved)`
      : '';
    return `WITH ${picked ? `${picked}, ` : ''}${moved}${logged} SELECT count(*) AS moved FROM moved`;
  }

  private logHead(log: TableNames): string {
    const cols = LOG_COLUMNS.map((c) => this.d.quote(log.column(c))).join(', ');
    return `INSERT INTO ${quotePath(this.d, log.table)} (${cols})`;
  }

  private logValues(id: string, version: string): string {
    const text = this.d.name === 'mysql' ? 'CHAR' : 'TEXT';
    const values: Record<(typeof LOG_COLUMNS)[number], string> = {
      transitionId: 'NULL',
      resource: this.d.literal(this.t.resource),
      resourceId: `CAST(${id} AS ${text})`,
      event: this.d.literal('(migration)'),
      from: this.d.literal(this.move.from),
      to: this.d.literal(this.move.to),
      version,
      actor: this.d.literal(MIGRATION_ACTOR),
      at: this.d.nowIso,
      reason: 'NULL',
      comment: this.d.literal(`state migration: ${this.move.from} -> ${this.move.to}`),
      metadata: 'NULL',
      machineVersion: 'NULL',
      correlationId: 'NULL',
    };
    return LOG_COLUMNS.map((c) => values[c]).join(', ');
  }
}
