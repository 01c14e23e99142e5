import { quotePath, type SqlDialect } from './dialect.js';
import type { TableNames } from './sql-connection.js';

/** The columns an armed timer is inserted with, in order (its due time comes from the clock). */
const ARMED = ['resource', 'resourceId', 'timer', 'dueAtMs', 'armedVersion', 'armedAtMs'] as const;

/**
 * Every statement of the timer table (`transition_timers`), in one dialect. Due times and leases
 * are the database's clock (`SqlDialect.nowMs`), never an app instance's. A claim takes due
 * timers whose lease ended, most overdue first, `FOR UPDATE SKIP LOCKED` where the database has
 * row locks: one `UPDATE ... WHERE id IN (SELECT ...) RETURNING *` on PostgreSQL and SQLite; on
 * MySQL, a locking SELECT of the ids, the UPDATE, then a SELECT of the claimed rows, in one
 * transaction.
 */
export class TimerStatements {
  readonly claim: string;
  /** MySQL's claim, step by step (see the class). */
  readonly claimIds: string;
  readonly claimed: string;
  readonly remove: string;
  readonly list: string;
  private readonly table: string;

  constructor(
    private readonly dialect: SqlDialect,
    private readonly names: TableNames,
  ) {
    const p = (n: number) => dialect.placeholder(n);
    const c = (property: string) => this.c(property);
    const t = quotePath(dialect, names.table);
    this.table = t;
    const now = dialect.nowMs;
    const lock = dialect.rowLocks ? ' FOR UPDATE SKIP LOCKED' : '';
    const due = `${c('dueAtMs')} <= ${now} AND ${c('lockedUntilMs')} <= ${now}`;
    const take = `SET ${c('claim')} = ${p(1)}, ${c('lockedUntilMs')} = ${now} + ${p(2)}, ${c('attempts')} = ${c('attempts')} + 1`;
    const claimable = (limit: number) =>
      `SELECT ${c('id')} FROM ${t} WHERE ${due} ORDER BY ${c('dueAtMs')}, ${c('id')} LIMIT ${p(limit)}${lock}`;
    const among =
      dialect.name === 'postgres' ? `= ANY(ARRAY(${claimable(3)}))` : `IN (${claimable(3)})`;
    this.claim = `UPDATE ${t} ${take} WHERE ${c('id')} ${among} RETURNING *, ${now} AS ${dialect.quote('nowMs')}`;
    this.claimIds = claimable(1);
    this.claimed = `SELECT *, ${now} AS ${dialect.quote('nowMs')} FROM ${t} WHERE ${c('claim')} = ${p(1)}`;
    this.remove = `DELETE FROM ${t} WHERE ${c('id')} = ${p(1)} AND ${c('claim')} = ${p(2)}`;
    this.list = `SELECT * FROM ${t} WHERE ${c('resource')} = ${p(1)} AND ${c('resourceId')} = ${p(2)} ORDER BY ${c('dueAtMs')}, ${c('id')}`;
  }

  /** MySQL's claim UPDATE of `count` ids (after `claimIds`): claim, lease length, then the ids. */
  claimUpdate(count: number): string {
    const c = (property: string) => this.c(property);
    const now = this.dialect.nowMs;
    return `UPDATE ${this.table} SET ${c('claim')} = ${this.p(1)}, ${c('lockedUntilMs')} = ${now} + ${this.p(2)}, ${c('attempts')} = ${c('attempts')} + 1 WHERE ${c('id')} IN (${this.list_(3, count)})`;
  }

  /** One resource's timers of these `count` ids deleted: resource, resource id, then the timers. */
  disarm(count: number): string {
    return this.once('disarm', count, () => this.disarmText(count));
  }

  private disarmText(count: number): string {
    const c = (property: string) => this.c(property);
    return `DELETE FROM ${this.table} WHERE ${c('resource')} = ${this.p(1)} AND ${c('resourceId')} = ${this.p(2)} AND ${c('timer')} IN (${this.list_(3, count)})`;
  }

  /**
   * `count` timers armed: per timer, resource, resource id, timer, delay (ms), armed version; due
   * at the database's clock plus the delay. A timer the resource already has (its state
   * re-entered) is replaced in the same statement: a new due time, no claim, so that a firing
   * holding the old one finds it gone.
   */
  arm(count: number): string {
    return this.once('arm', count, () => this.armText(count));
  }

  private armText(count: number): string {
    const now = this.dialect.nowMs;
    let n = 0;
    const values = Array.from(
      { length: count },
      () =>
        `(${this.p(++n)}, ${this.p(++n)}, ${this.p(++n)}, ${now} + ${this.p(++n)}, ${this.p(++n)}, ${now}, 0, 0)`,
    );
    const cols = [...ARMED, 'lockedUntilMs', 'attempts'].map((col) => this.c(col));
    return `INSERT INTO ${this.table} (${cols.join(', ')}) VALUES ${values.join(', ')} ${this.replacing()}`;
  }

  /** The upsert clause of `arm` and `armFrom`, in this dialect. */
  private replacing(): string {
    const c = (property: string) => this.c(property);
    const reset = `${c('claim')} = NULL, ${c('lockedUntilMs')} = 0, ${c('attempts')} = 0`;
    const renewed = ['dueAtMs', 'armedVersion', 'armedAtMs'];
    if (this.dialect.name === 'mysql') {
      const set = renewed.map((col) => `${c(col)} = VALUES(${c(col)})`).join(', ');
      return `ON DUPLICATE KEY UPDATE ${set}, ${reset}`;
    }
    const set = renewed.map((col) => `${c(col)} = EXCLUDED.${c(col)}`).join(', ');
    return `ON CONFLICT (${c('resource')}, ${c('resourceId')}, ${c('timer')}) DO UPDATE SET ${set}, ${reset}`;
  }

  /**
   * PostgreSQL's one statement (a CTE after the compare-and-set `w`): `count` timers of one
   * resource disarmed, only when `w` wrote: resource, resource id, then the timers.
   */
  disarmAfter(p: () => string, count: number): string {
    const c = (property: string) => this.c(property);
    const ids = Array.from({ length: count }, () => p()).join(', ');
    return `DELETE FROM ${this.table} WHERE ${c('resource')} = ${p()} AND ${c('resourceId')} = ${p()} AND ${c('timer')} IN (${ids}) AND EXISTS (SELECT 1 FROM w)`;
  }

  /**
   * PostgreSQL's one statement, firing a claimed timer (`id`, `claim`: placeholders): the condition
   * the compare-and-set adds (the claim still holds the timer), and its removal once `w` wrote.
   */
  firedBy(id: string, claim: string): { held: string; remove: string } {
    const c = (property: string) => this.c(property);
    const mine = `${c('id')} = ${id} AND ${c('claim')} = ${claim}`;
    return {
      held: `EXISTS (SELECT 1 FROM ${this.table} WHERE ${mine})`,
      remove: `DELETE FROM ${this.table} WHERE ${mine} AND EXISTS (SELECT 1 FROM w)`,
    };
  }

  /**
   * PostgreSQL's one statement: one timer armed from `w` (resource, resource id, timer, delay;
   * the armed version is `version`, an expression of `w`), replacing the resource's timer of that
   * name if it has one (a state re-entered): a new due time, no claim, so that a firing holding
   * the old one finds it gone.
   */
  armFrom(p: () => string, version: string): string {
    const now = this.dialect.nowMs;
    const cols = [...ARMED, 'lockedUntilMs', 'attempts'].map((col) => this.c(col));
    return (
      `INSERT INTO ${this.table} (${cols.join(', ')}) SELECT ${p()}, ${p()}, ${p()}, ${now} + ${p()}, ${version}, ${now}, 0, 0 FROM w ` +
      this.replacing()
    );
  }

  private c(property: string): string {
    return this.dialect.quote(this.names.column(property));
  }

  /** The texts built so far, by kind and count: built once, the same string every commit. */
  private readonly built = new Map<string, string>();

  private once(kind: string, count: number, build: () => string): string {
    const key = `${kind}:${String(count)}`;
    let text = this.built.get(key);
    if (text === undefined) this.built.set(key, (text = build()));
    return text;
  }

  private p(n: number): string {
    return this.dialect.placeholder(n);
  }

  /** `count` placeholders from `first` on. */
  private list_(first: number, count: number): string {
    return Array.from({ length: count }, (_, i) => this.p(first + i)).join(', ');
  }
}
