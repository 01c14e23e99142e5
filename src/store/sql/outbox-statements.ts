import { OUTBOX_INSERTED } from '../outbox-rows.js';
import { quotePath, type SqlDialect } from './dialect.js';
import type { TableNames } from './sql-connection.js';

/**
 * Every statement of the transactional outbox (tables `transition_outbox` and
 * `transition_handled`), in one dialect. Claims take due messages whose lease ended, oldest
 * first, `FOR UPDATE SKIP LOCKED` where the database has row locks, so that relays in several
 * processes never hold one message at once; a message waits while an earlier one of the same
 * handler and resource (`resourceKey`) is pending, so that each resource's messages go out in
 * commit order whatever the number of relays. One `UPDATE ... WHERE id IN (SELECT ...) RETURNING *`
 * on PostgreSQL and SQLite; on MySQL, which can neither return rows nor limit a subquery of an
 * UPDATE, a locking SELECT of the ids, the UPDATE, then a SELECT of the claimed rows, in one
 * transaction.
 */
export class OutboxStatements {
  readonly claim: string;
  /** MySQL's claim, step by step (see the class). */
  readonly claimIds: string;
  readonly claimed: string;
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
    // `m` is the message a claim considers; `e`, an earlier pending one that holds it back.
    // PostgreSQL: `OFFSET 0` keeps the check a subplan that probes `transition_outbox_order` once
    // per message considered. Unfenced, it became an anti-join that, on a table without
    // statistics (a new one, or one analyzed while empty), scanned a whole index per message:
    // work in the square of the backlog (0.2 to 0.7 s per claim with 3,000 to 6,000 waiting).
    // MySQL and SQLite accept no OFFSET without LIMIT, and need no fence.
    const fence = dialect.name === 'postgres' ? ' OFFSET 0' : '';
    const earlier =
      `SELECT 1 FROM ${t} e WHERE e.${c('resourceKey')} = m.${c('resourceKey')} AND e.${c('handler')} = m.${c('handler')} ` +
      `AND e.${c('id')} < m.${c('id')} AND e.${c('status')} = 'pending'${fence}`;
    const due = (a: number, b: number) =>
      `m.${c('status')} = 'pending' AND m.${c('availableAtMs')} <= ${p(a)} AND m.${c('lockedUntilMs')} <= ${p(b)} AND NOT EXISTS (${earlier})`;
    const take = `SET ${c('claim')} = ${p(1)}, ${c('lockedUntilMs')} = ${p(2)}, ${c('attempts')} = ${c('attempts')} + 1`;
    const claimable = `SELECT m.${c('id')} FROM ${t} m WHERE ${due(3, 4)} ORDER BY m.${c('id')} LIMIT ${p(5)}${lock}`;
    // The indexes on pending messages (`transition_outbox_pending` on status and id,
    // `transition_outbox_order` on resource, handler, status and id; partial where the database
    // has partial indexes) keep a claim's reads on PostgreSQL and SQLite to the messages still
    // waiting, however many delivered ones retention keeps (test/db/outbox-claim-plan). MySQL's
    // claim reads the primary key (below).
    // PostgreSQL: the claimed ids as an array, each then found by its key; `IN (subquery)` is
    // planned as a semi-join that scans the whole table (5 ms against 1.4 ms per claim with
    // 10,000 messages waiting).
    const among = dialect.name === 'postgres' ? `= ANY(ARRAY(${claimable}))` : `IN (${claimable})`;
    this.claim = `UPDATE ${t} ${take} WHERE ${c('id')} ${among} RETURNING *`;
    // MySQL locks every row a locking read examines: read in id order (the primary key), so that
    // LIMIT stops the scan, and another relay skips only the rows this one claims (a sort over
    // the due index would lock every due message). Not through `transition_outbox_pending`:
    // under REPEATABLE READ its next-key locks cover the gap where new pending messages go, and
    // the commits writing them then failed (173 of 2,000 answered 503 in the benchmark app).
    // The primary key's scan still reads the delivered messages kept for retention.
    // The NOT EXISTS subquery is a plain (consistent) read there: only the outer rows are locked.
    this.claimIds = `SELECT m.${c('id')} FROM ${t} m FORCE INDEX (PRIMARY) WHERE ${due(1, 2)} ORDER BY m.${c('id')} LIMIT ${p(3)}${lock}`;
    this.claimed = `SELECT * FROM ${t} WHERE ${c('claim')} = ${p(1)}`;
    const mine = (a: number, b: number) => `${c('id')} = ${p(a)} AND ${c('claim')} = ${p(b)}`;
    this.fail = `UPDATE ${t} SET ${c('status')} = ${p(1)}, ${c('availableAtMs')} = ${p(2)}, ${c('lastError')} = ${p(3)}, ${c('claim')} = NULL, ${c('lockedUntilMs')} = 0 WHERE ${mine(4, 5)}`;
    this.list = `SELECT * FROM ${t} WHERE ${c('status')} = ${p(1)} ORDER BY ${c('id')} LIMIT ${p(2)}`;
    this.redrive = `UPDATE ${t} SET ${c('status')} = 'pending', ${c('attempts')} = 0, ${c('availableAtMs')} = ${p(1)}, ${c('lastError')} = NULL WHERE ${c('id')} = ${p(2)} AND ${c('status')} = 'dead'`;
    this.purge = `DELETE FROM ${t} WHERE ${c('status')} = 'delivered' AND ${c('availableAtMs')} < ${p(1)}`;
    const h = (property: string) => dialect.quote(handled.column(property));
    this.handled =
      `INSERT INTO ${quotePath(dialect, handled.table)} (${h('transitionId')}, ${h('handler')}, ${h('handledAtMs')}) ` +
      `VALUES (${p(1)}, ${p(2)}, ${p(3)})${dialect.onConflictDoNothing ? ` ${dialect.onConflictDoNothing}` : ''}`;
  }

  /** MySQL's claim UPDATE of `count` ids (after `claimIds`): claim, lease end, then the ids. */
  claimUpdate(count: number): string {
    const c = (property: string) => this.dialect.quote(this.names.column(property));
    return `UPDATE ${this.table} SET ${c('claim')} = ${this.p(1)}, ${c('lockedUntilMs')} = ${this.p(2)}, ${c('attempts')} = ${c('attempts')} + 1 WHERE ${this.ids(3, count)}`;
  }

  /** Delivered messages of one claim deleted, in one statement: the claim, then `count` ids. */
  deleteDelivered(count: number): string {
    const c = (property: string) => this.dialect.quote(this.names.column(property));
    return `DELETE FROM ${this.table} WHERE ${c('claim')} = ${this.p(1)} AND ${this.ids(2, count)}`;
  }

  /** Delivered messages of one claim kept for retention: delivery time, claim, `count` ids. */
  keepDelivered(count: number): string {
    const c = (property: string) => this.dialect.quote(this.names.column(property));
    return `UPDATE ${this.table} SET ${c('status')} = 'delivered', ${c('claim')} = NULL, ${c('lockedUntilMs')} = 0, ${c('availableAtMs')} = ${this.p(1)} WHERE ${c('claim')} = ${this.p(2)} AND ${this.ids(3, count)}`;
  }

  private p(n: number): string {
    return this.dialect.placeholder(n);
  }

  /** `id IN (...)` with `count` placeholders from `first` on. */
  private ids(first: number, count: number): string {
    const list = Array.from({ length: count }, (_, i) => this.p(first + i)).join(', ');
    return `${this.dialect.quote(this.names.column('id'))} IN (${list})`;
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
