import { LOG_COLUMNS } from '../log-rows.js';
import { quotePath, type SqlDialect } from './dialect.js';
import { OutboxStatements } from './outbox-statements.js';
import { TimerStatements } from './timer-statements.js';
import type { TableNames } from './sql-connection.js';

const NO_TIMERS = { disarm: 0, arm: 0 } as const;

/** The columns of a resource table a store reads and writes (database names). */
export interface ResourceColumns {
  /** The table, as the database names it (`schema.table` allowed). */
  readonly table: string;
  readonly id: string;
  readonly state: string;
  readonly version?: string;
  /** The columns of the row (a `RETURNING` of the row); undefined: every column (`*`). */
  readonly selected?: readonly string[];
  /** The columns a load selects, when fewer than `selected` (the store's `contextProperties`). */
  readonly loaded?: readonly string[];
}

/**
 * Every statement of a transition store, for one resource table in one dialect, built once and
 * cached per shape (the changed columns, whether the version is compared, what comes back):
 * the same text every time, so that the drivers prepare it once.
 */
export class TransitionStatements {
  /** The load of a resource: the columns its context needs (`loaded`), else every column. */
  readonly load: string;
  /** The whole row (a write's row read back, or found committed). */
  readonly loadRow: string;
  /** The load, locking the row (`FOR UPDATE`) where the database has row locks. */
  readonly lockAndLoad: string;
  /** The whole row, locked. */
  readonly lockAndLoadRow: string;
  /** A write that matches no row: SQLite's write lock, taken first in a locked transaction. */
  readonly takeWriteLock: string;
  readonly insertLog: string;
  private readonly table: string;
  private readonly updates = new Map<string, string>();
  private readonly together = new Map<string, string>();
  private readonly outbox: OutboxStatements;

  constructor(
    readonly dialect: SqlDialect,
    private readonly columns: ResourceColumns,
    private readonly log: TableNames,
    outbox: { outbox: TableNames; handled: TableNames; timers: TableNames },
  ) {
    const q = (c: string) => dialect.quote(c);
    this.table = quotePath(dialect, columns.table);
    const select = (cols: readonly string[] | undefined) =>
      `SELECT ${cols?.map(q).join(', ') ?? '*'} FROM ${this.table} WHERE ${q(columns.id)} = ${dialect.placeholder(1)}`;
    const locked = (load: string) => (dialect.rowLocks ? `${load} FOR UPDATE` : load);
    this.load = select(columns.loaded ?? columns.selected);
    this.loadRow = select(columns.selected);
    this.lockAndLoad = locked(this.load);
    this.lockAndLoadRow = locked(this.loadRow);
    this.takeWriteLock = `UPDATE ${this.table} SET ${q(columns.id)} = ${q(columns.id)} WHERE 1 = 0`;
    this.insertLog =
      `${this.logInsertHead()} VALUES (` +
      `${LOG_COLUMNS.map((_, i) => dialect.placeholder(i + 1)).join(', ')})`;
    this.outbox = new OutboxStatements(dialect, outbox.outbox, outbox.handled);
    this.timers = new TimerStatements(dialect, outbox.timers);
  }

  /**
   * The compare-and-set: `UPDATE ... SET state = ?, version = version + 1, <changes> WHERE id = ?
   * AND state = ? [AND version = ?]`, with `RETURNING` the row (`'row'`) or its id and version
   * (`'key'`) where the database has it. Parameters: the new state, each change, the id, the
   * expected state, the expected version.
   */
  update(changed: readonly string[], withVersion: boolean, back: 'row' | 'key' | 'none'): string {
    const key = `${changed.join(',')}|${String(withVersion)}|${back}`;
    let sql = this.updates.get(key);
    if (!sql) {
      const { dialect, columns } = this;
      const q = (c: string) => dialect.quote(c);
      let n = 1;
      const sets = [`${q(columns.state)} = ${dialect.placeholder(n++)}`];
      for (const c of changed) sets.push(`${q(c)} = ${dialect.placeholder(n++)}`);
      if (columns.version) sets.push(`${q(columns.version)} = ${q(columns.version)} + 1`);
      let where = `${q(columns.id)} = ${dialect.placeholder(n++)} AND ${q(columns.state)} = ${dialect.placeholder(n++)}`;
      if (columns.version && withVersion) {
        where += ` AND ${q(columns.version)} = ${dialect.placeholder(n)}`;
      }
      sql = `UPDATE ${this.table} SET ${sets.join(', ')} WHERE ${where}`;
      if (dialect.returning && back !== 'none') sql += ` RETURNING ${this.returned(back)}`;
      this.updates.set(key, sql);
    }
    return sql;
  }

  /**
   * PostgreSQL: the compare-and-set `update` (taking `params` parameters), its log row and
   * `messages` outbox messages as one statement, data-modifying CTEs: one round trip, all or
   * nothing, and the INSERTs select from the updated row, so a compare-and-set that misses writes
   * nothing. The log's version is the row's; the other values follow as parameters: the log row's
   * `LOG_COLUMNS` (but the version, when the table keeps one), then each message's, then the
   * timers disarmed (resource, resource id, the timers) and each timer armed (resource, resource
   * id, timer, delay), armed with the version written. With `fired`, the fired timer's id and
   * claim come right after the update's parameters (the update requires the claim) and again
   * last (its removal).
   */
  updateWithInserts(
    update: string,
    params: number,
    log: boolean,
    messages: number,
    timers: { readonly disarm: number; readonly arm: number } = NO_TIMERS,
    fired = false,
  ): string {
    if (!this.dialect.writesInOneStatement) {
      throw new Error(`${this.dialect.name} cannot chain writes in one statement`);
    }
    const key = `${update}|${String(params)}|${String(log)}|${String(messages)}|${String(timers.disarm)}|${String(timers.arm)}|${String(fired)}`;
    let sql = this.together.get(key);
    if (!sql) {
      const next = { n: params };
      const p = () => this.dialect.placeholder(++next.n);
      // A firing: the update holds only while the claim holds the timer (its id and claim follow
      // the update's parameters: placeholders may be positional).
      const held = fired ? this.timers.firedBy(p(), p()).held : undefined;
      const parts = [
        `w AS (${held ? update.replace(' RETURNING ', ` AND ${held} RETURNING `) : update})`,
      ];
      if (held && !parts[0]?.includes(held)) throw new Error('a firing needs RETURNING');
      if (log) {
        const { version } = this.columns;
        const values = LOG_COLUMNS.map((c) =>
          c === 'version' && version ? `w.${this.dialect.quote(version)}` : p(),
        );
        parts.push(`l AS (${this.logInsertHead()} SELECT ${values.join(', ')} FROM w)`);
      }
      for (let m = 0; m < messages; m++) {
        parts.push(`o${String(m)} AS (${this.outbox.insertSelect(p)} FROM w)`);
      }
      if (timers.disarm) parts.push(`d AS (${this.timers.disarmAfter(p, timers.disarm)})`);
      const { version } = this.columns;
      const armedVersion = version ? `w.${this.dialect.quote(version)}` : 'NULL';
      for (let t = 0; t < timers.arm; t++) {
        parts.push(`a${String(t)} AS (${this.timers.armFrom(p, armedVersion)})`);
      }
      // The fired timer goes with the update (its id and claim again, last).
      if (fired) parts.push(`f AS (${this.timers.firedBy(p(), p()).remove})`);
      sql = `WITH ${parts.join(', ')} SELECT * FROM w`;
      this.together.set(key, sql);
    }
    return sql;
  }

  private readonly timers: TimerStatements;

  /** Rows per stored state: `SELECT state, COUNT(*) AS n FROM table GROUP BY state`. */
  countStates(): string {
    const q = (c: string) => this.dialect.quote(c);
    return `SELECT ${q(this.columns.state)} AS ${q('state')}, COUNT(*) AS ${q('n')} FROM ${this.table} GROUP BY ${q(this.columns.state)}`;
  }

  /** INSERT of `count` outbox messages, in the transition's transaction. */
  insertMessages(count: number): string {
    return this.outbox.insert(count);
  }

  /**
   * One page of a resource's log, newest first: `WHERE resource = ? AND resourceId = ? [AND id <
   * ?] ORDER BY id DESC LIMIT ?` (the log's (resource, resourceId, id) index).
   */
  history(before: boolean): string {
    const { dialect, log } = this;
    const q = (c: string) => dialect.quote(log.column(c));
    let n = 1;
    let sql = `SELECT * FROM ${quotePath(dialect, log.table)} WHERE ${q('resource')} = ${dialect.placeholder(n++)} AND ${q('resourceId')} = ${dialect.placeholder(n++)}`;
    if (before) sql += ` AND ${q('id')} < ${dialect.placeholder(n++)}`;
    return `${sql} ORDER BY ${q('id')} DESC LIMIT ${dialect.placeholder(n)}`;
  }

  /**
   * The version a transition's log row recorded, found by its id: `SELECT version FROM
   * transition_log WHERE resource = ? AND resourceId = ? AND transitionId = ?` (through the
   * log's (resource, resourceId, id) index). What an in-doubt commit is checked against.
   */
  logged(): string {
    const { dialect, log } = this;
    const q = (c: string) => dialect.quote(log.column(c));
    const p = (n: number) => dialect.placeholder(n);
    return (
      `SELECT ${q('version')} FROM ${quotePath(dialect, log.table)} WHERE ${q('resource')} = ${p(1)} ` +
      `AND ${q('resourceId')} = ${p(2)} AND ${q('transitionId')} = ${p(3)}`
    );
  }

  /** `INSERT INTO transition_log (columns)`, in `LOG_COLUMNS` order. */
  private logInsertHead(): string {
    const cols = LOG_COLUMNS.map((c) => this.dialect.quote(this.log.column(c)));
    return `INSERT INTO ${quotePath(this.dialect, this.log.table)} (${cols.join(', ')})`;
  }

  /** What an UPDATE returns: every column of the row, or its id and version. */
  private returned(back: 'row' | 'key'): string {
    const q = (c: string) => this.dialect.quote(c);
    const { selected, id, version } = this.columns;
    if (back === 'row') return selected?.map(q).join(', ') ?? '*';
    return [id, ...(version ? [version] : [])].map(q).join(', ');
  }
}
