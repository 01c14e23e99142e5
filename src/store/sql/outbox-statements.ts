import { OUTBOX_INSERTED } from '../outbox-rows.js';
import { quotePath, type SqlDialect } from './dialect.js';
import type { TableNames } from './sql-connection.js';

/**
 * Every statement of the transactional outbox (tables `transition_outbox` and
 * `transition_handled`), in one dialect. Claims take due messages whose lease ended, oldest
 * first, `FOR UPDATE SKIP LOCKED` where the database has row locks, so that relays in several
 * processes never hold one message at once: one `UPDATE ... WHERE id IN (SELECT ...) RETURNING *`
 * on PostgreSQL and SQLite; on MySQL, which can neither return rows nor limit a subquery of an
 * UPDATE, a locking SELECT of the ids, the UPDATE, then a SELECT of the claimed rows, in one
 * transaction.
 */
export class OutboxStatements {
  readonly claim: string;
  /** MySQL's claim, step by step (see the class). */
  readonly claimIds: string;
  readonly claimed: string;
  readonly keep: string;
  readonly delete: string;
  readonly fail: string;
  readonly list: string;
  readonly redrive: string;
  readonly purge: string;
  readonly handled: string;
  private readonly table: string;

  constructor(
    private readonly dialect: SqlDialect,
    private readonly names: TableNames,
    handled: TableNames,
  ) {
    const p = (n: number) => dialect.placeholder(n);
    const c = (property: string) => dialect.quote(names.column(property));
    const t = quotePath(dialect, names.table);
    this.table = t;
    const lock = dialect.rowLocks ? ' FOR UPDATE SKIP LOCKED' : '';
    const due = (a: number, b: number) =>
      `${c('status')} = 'pending' AND ${c('availableAtMs')} <= ${p(a)} AND ${c('lockedUntilMs')} <= ${p(b)}`;
    const take = `SET ${c('claim')} = ${p(1)}, ${c('lockedUntilMs')} = ${p(2)}, ${c('attempts')} = ${c('attempts')} + 1`;
    this.claim = `UPDATE ${t} ${take} WHERE ${c('id')} IN (SELECT ${c('id')} FROM ${t} WHERE ${due(3, 4)} ORDER BY ${c('id')} LIMIT ${p(5)}${lock}) RETURNING *`;
    // MySQL locks every row a locking read examines: read in id order (the primary key), so that
    // LIMIT stops the scan, and another relay skips only the rows this one claims (a sort over
    // the due index would lock every due message).
    this.claimIds = `SELECT ${c('id')} FROM ${t} FORCE INDEX (PRIMARY) WHERE ${due(1, 2)} ORDER BY ${c('id')} LIMIT ${p(3)}${lock}`;
    this.claimed = `SELECT * FROM ${t} WHERE ${c('claim')} = ${p(1)}`;
    const mine = (a: number, b: number) => `${c('id')} = ${p(a)} AND ${c('claim')} = ${p(b)}`;
    this.keep = `UPDATE ${t} SET ${c('status')} = 'delivered', ${c('claim')} = NULL, ${c('lockedUntilMs')} = 0, ${c('availableAtMs')} = ${p(1)} WHERE ${mine(2, 3)}`;
    this.delete = `DELETE FROM ${t} WHERE ${mine(1, 2)}`;
    this.fail = `UPDATE ${t} SET ${c('status')} = ${p(1)}, ${c('availableAtMs')} = ${p(2)}, ${c('lastError')} = ${p(3)}, ${c('claim')} = NULL, ${c('lockedUntilMs')} = 0 WHERE ${mine(4, 5)}`;
    this.list = `SELECT * FROM ${t} WHERE ${c('status')} = ${p(1)} ORDER BY ${c('id')} LIMIT ${p(2)}`;
    this.redrive = `UPDATE ${t} SET ${c('status')} = 'pending', ${c('attempts')} = 0, ${c('availableAtMs')} = ${p(1)}, ${c('lastError')} = NULL WHERE ${c('id')} = ${p(2)} AND ${c('status')} = 'dead'`;
    this.purge = `DELETE FROM ${t} WHERE ${c('status')} = 'delivered' AND ${c('availableAtMs')} < ${p(1)}`;
    const h = (property: string) => dialect.quote(handled.column(property));
    this.handled =
      `INSERT INTO ${quotePath(dialect, handled.table)} (${h('transitionId')}, ${h('handler')}, ${h('handledAtMs')}) ` +
      `VALUES (${p(1)}, ${p(2)}, ${p(3)})${dialect.onConflictDoNothing ? ` ${dialect.onConflictDoNothing}` : ''}`;
  }

  /** MySQL's claim UPDATE of `count` ids (after `claimIds`). */
  claimUpdate(count: number): string {
    const p = (n: number) => this.dialect.placeholder(n);
    const c = (property: string) => this.dialect.quote(this.names.column(property));
    const ids = Array.from({ length: count }, (_, i) => p(i + 3)).join(', ');
    return `UPDATE ${this.table} SET ${c('claim')} = ${p(1)}, ${c('lockedUntilMs')} = ${p(2)}, ${c('attempts')} = ${c('attempts')} + 1 WHERE ${c('id')} IN (${ids})`;
  }

  /** INSERT of `count` messages: `OUTBOX_INSERTED` columns, message after message. */
  insert(count: number): string {
    let n = 0;
    const values = Array.from(
      { length: count },
      () => `(${OUTBOX_INSERTED.map(() => this.dialect.placeholder(++n)).join(', ')})`,
    );
    return `${this.insertHead()} VALUES ${values.join(', ')}`;
  }

  /** `INSERT INTO transition_outbox (columns) SELECT <placeholders>`: one message in a CTE. */
  insertSelect(placeholder: () => string): string {
    return `${this.insertHead()} SELECT ${OUTBOX_INSERTED.map(() => placeholder()).join(', ')}`;
  }

  private insertHead(): string {
    const cols = OUTBOX_INSERTED.map((c) => this.dialect.quote(this.names.column(c)));
    return `INSERT INTO ${this.table} (${cols.join(', ')})`;
  }
}
