import { randomUUID } from 'node:crypto';
import { disarmedOnly, type TimerChange } from '../../core/timers.js';
import type {
  ClaimedTimer,
  StoredTimer,
  TimerOwner,
  TimerStore,
} from '../timer-store.interface.js';
import type { SqlDialect } from './dialect.js';
import { libraryNames } from './library-tables.js';
import {
  plainRow,
  type SqlConnection,
  type SqlQueries,
  type SqlRow,
  type TableNames,
} from './sql-connection.js';
import { callSql } from './sqlite-file.js';
import { TimerStatements } from './timer-statements.js';

/**
 * The timers of `after` transitions in SQL, on any ORM's connection (`SqlConnection`) and dialect
 * (SQLite, PostgreSQL, MySQL), in the table `transition_timers`: the store under
 * `TypeOrmTimerStore` and the other ORMs'. Timers are armed and disarmed in the transition's own
 * transaction; due times are the database's clock; firing loops claim them as `TimerStatements`
 * says, so that loops in several processes never hold one timer at once.
 *
 * @example
 * const timers = new SqlTimerStore(connection, 'MyTimerStore'); // transition_timers
 */
export class SqlTimerStore implements TimerStore {
  private statementsOf: TimerStatements | undefined;
  private namesOf: TableNames | undefined;

  constructor(
    protected readonly connection: SqlConnection,
    private readonly storeName: string,
  ) {}

  private get sql(): TimerStatements {
    return (this.statementsOf ??= new TimerStatements(this.connection.dialect, this.names));
  }

  private get names(): TableNames {
    return (this.namesOf ??= libraryNames(this.connection, 'transition_timers'));
  }

  /** The transition stores on the same connection arm timers in their transactions. */
  transactionScope(): unknown {
    return this.connection.scope;
  }

  async change(
    tx: unknown,
    owner: TimerOwner,
    change: TimerChange,
    armedVersion: number | undefined,
  ): Promise<void> {
    if (!change.disarm.length && !change.arm.length) return;
    // A timer armed again replaces its row in the INSERT (an upsert): only those left go first.
    const gone = disarmedOnly(change);
    const work = async (q: SqlQueries) => {
      if (gone.length) {
        await q.execute(this.sql.disarm(gone.length), [owner.resource, owner.resourceId, ...gone]);
      }
      if (!change.arm.length) return;
      const params: unknown[] = [];
      for (const a of change.arm) {
        params.push(owner.resource, owner.resourceId, a.timer, Math.round(a.delayMs));
        params.push(armedVersion ?? null);
      }
      await q.execute(this.sql.arm(change.arm.length), params);
    };
    return this.inTransaction(tx, work);
  }

  /**
   * Runs `work` on the queries of `tx` (a transaction handle that a transition store on the same
   * client passed on), or in a transaction of its own when `tx` is undefined: what an adapter
   * keeping timers elsewhere in the same database writes through (`PgBossTimerStore`).
   */
  inTransaction<T>(tx: unknown, work: (q: SqlQueries) => Promise<T>): Promise<T> {
    if (tx === undefined) return this.call('transaction', work);
    const q = this.connection.queriesOf(tx);
    if (!q) {
      throw new Error(
        `${this.storeName} arms timers in the transaction of a transition store on the same client ` +
          '(a timer commits with its transition). Give the resource such a store.',
      );
    }
    return work(q);
  }

  /** The SQL dialect of its connection (what `inTransaction`'s queries take). */
  get dialect(): SqlDialect {
    return this.connection.dialect;
  }

  async claim(options: { limit: number; leaseMs: number }): Promise<ClaimedTimer[]> {
    const claim = randomUUID();
    const { returning } = this.connection.dialect;
    const rows = await this.call(returning ? 'plain' : 'transaction', async (q) => {
      if (returning) return q.query(this.sql.claim, [claim, options.leaseMs, options.limit]);
      const id = this.names.column('id');
      const ids = (await q.query(this.sql.claimIds, [options.limit])).map((r) => r[id]);
      if (!ids.length) return [];
      await q.execute(this.sql.claimUpdate(ids.length), [claim, options.leaseMs, ...ids]);
      return q.query(this.sql.claimed, [claim]);
    });
    return rows
      .map((raw) => {
        const timer = this.timer(raw);
        const row = plainRow(raw);
        const now = Number(row.nowMs);
        return {
          ...timer,
          id: String(this.value(row, 'id')),
          claim,
          lateMs: Math.max(0, now - timer.dueAt.getTime()),
        };
      })
      .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || Number(a.id) - Number(b.id));
  }

  async remove(timer: ClaimedTimer, tx?: unknown): Promise<boolean> {
    const params = [Number(timer.id), timer.claim];
    const q = tx === undefined ? undefined : this.connection.queriesOf(tx);
    if (tx !== undefined && !q) throw new Error(`${this.storeName}: a transaction of another ORM`);
    const removed = q
      ? await q.execute(this.sql.remove, params)
      : await this.call('plain', (own) => own.execute(this.sql.remove, params));
    return removed === 1;
  }

  async list(owner: TimerOwner): Promise<StoredTimer[]> {
    const rows = await this.call('plain', (q) =>
      q.query(this.sql.list, [owner.resource, owner.resourceId]),
    );
    return rows.map((raw) => this.timer(raw));
  }

  private value(row: SqlRow, property: string): unknown {
    return row[this.names.column(property)];
  }

  private timer(raw: SqlRow): StoredTimer {
    const row = plainRow(raw);
    const v = (property: string) => this.value(row, property);
    const armedVersion = v('armedVersion');
    return {
      resource: String(v('resource')),
      resourceId: String(v('resourceId')),
      timer: String(v('timer')),
      dueAt: new Date(Number(v('dueAtMs'))),
      armedVersion:
        armedVersion === null || armedVersion === undefined ? null : Number(armedVersion),
      armedAt: new Date(Number(v('armedAtMs'))),
      attempts: Number(v('attempts')),
    };
  }

  private call<T>(mode: 'plain' | 'transaction', work: (q: SqlQueries) => Promise<T>): Promise<T> {
    return callSql(this.connection, 'timers', mode, work);
  }
}
