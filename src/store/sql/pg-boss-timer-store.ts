import { replacedTimers, type TimerChange } from '../../core/timers.js';
import type {
  ClaimedTimer,
  StoredTimer,
  TimerOwner,
  TimerStore,
} from '../timer-store.interface.js';
import type { SqlQueries } from './sql-connection.js';
import type { SqlTimerStore } from './sql-timer-store.js';

/** pg-boss's `db` option: SQL run through the caller's transaction. */
export interface PgBossDatabase {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** A pg-boss job as `findJobs()` and `fetch({ includeMetadata: true })` give it. */
export interface PgBossJob {
  readonly id: string;
  readonly data: unknown;
  readonly state: string;
  readonly retryCount: number;
  readonly startAfter: Date;
  readonly createdOn: Date;
  readonly startedOn?: Date | null;
}

/**
 * What `PgBossTimerStore` calls of a pg-boss 12 instance (`new PgBoss(...)`, started by the app):
 * the queue, jobs sent and deleted in the caller's transaction (`db`), fetched, completed and
 * supervised.
 */
export interface PgBossLike {
  createQueue(
    name: string,
    options: {
      expireInSeconds: number;
      retryLimit: number;
      retryDelay: number;
      deleteAfterSeconds: number;
    },
  ): Promise<void>;
  send(
    name: string,
    data: object,
    options: { singletonKey: string; startAfter?: number; db: PgBossDatabase },
  ): Promise<string | null>;
  findJobs(
    name: string,
    options: { key?: string; data?: object; db?: PgBossDatabase },
  ): Promise<PgBossJob[]>;
  deleteJob(name: string, id: string[], options: { db: PgBossDatabase }): Promise<object>;
  fetch(name: string, options: { batchSize: number; includeMetadata: true }): Promise<PgBossJob[]>;
  complete(
    name: string,
    attempt: { id: string; retryCount: number },
    data: null,
    options: { db: PgBossDatabase },
  ): Promise<object>;
}

/** A timer's job data: whose it is, and the version that armed it. */
interface TimerJobData {
  resource: string;
  resourceId: string;
  timer: string;
  armedVersion: number | null;
}

/** Jobs that are a timer still armed: waiting, waiting again after a lapsed claim, or claimed. */
const ARMED = new Set(['created', 'retry', 'active']);

/**
 * The timers of `after` transitions as pg-boss jobs, for teams that run pg-boss (PostgreSQL): its
 * dashboards, retention and tooling see every timer. Each armed timer is a job of one queue
 * (default `transition-timers`), keyed by resource, id and timer, due at the database's clock plus
 * the delay (`startAfter`); it is sent and deleted through the transition's own transaction (pg-boss's
 * `db` option, on the queries of `table`, the ORM's timer store), so a rollback arms nothing. The
 * firing loop fetches due jobs; a fired timer's job is completed in the firing's transaction, for the
 * attempt that was fetched only. The lease is the queue's `expireInSeconds` (`leaseSeconds`, at least
 * 1; `timers.leaseSeconds` does not apply): a job whose firing crashed is retried by pg-boss's own
 * supervision (a started PgBoss with `supervise` on, every `superviseIntervalSeconds` and
 * `monitorIntervalSeconds`).
 *
 * @example
 * @Injectable()
 * export class TimerStore extends PgBossTimerStore {
 *   constructor(@Inject(DataSource) ds: DataSource, @Inject(PG_BOSS) boss: PgBoss) {
 *     super(boss, new TypeOrmTimerStore(ds)); // TransitionGuardModule.forRoot({ timers: { store: TimerStore } })
 *   }
 * }
 */
export class PgBossTimerStore implements TimerStore {
  private readonly queue: string;
  private readonly leaseSeconds: number;
  private readonly keepSeconds: number;
  private queueReady: Promise<void> | undefined;

  constructor(
    private readonly boss: PgBossLike,
    private readonly table: SqlTimerStore,
    options: {
      /** The queue's name. Default `transition-timers`. */
      readonly queue?: string;
      /** How long a claimed timer is held before another loop may fire it: whole seconds, default 30. */
      readonly leaseSeconds?: number;
      /** How long pg-boss keeps a fired timer's completed job (its history). Default 7 days. */
      readonly keepSeconds?: number;
    } = {},
  ) {
    this.queue = options.queue ?? 'transition-timers';
    this.leaseSeconds = Math.max(1, Math.ceil(options.leaseSeconds ?? 30));
    this.keepSeconds = options.keepSeconds ?? 7 * 24 * 3600;
  }

  /** Checks at bootstrap that the timers are on PostgreSQL (pg-boss's only database). */
  verify(): void {
    if (this.table.dialect.name !== 'postgres') {
      throw new Error(
        `PgBossTimerStore keeps timers in pg-boss, on PostgreSQL; the timer store it writes through is on ${this.table.dialect.name}. ` +
          'Use the ORM timer store itself there (TypeOrmTimerStore, ...).',
      );
    }
    (this.table as TimerStore).verify?.();
  }

  /** The transition stores on the ORM timer store's client arm timers in their transactions. */
  transactionScope(): unknown {
    return this.table.transactionScope();
  }

  async change(
    tx: unknown,
    owner: TimerOwner,
    change: TimerChange,
    armedVersion: number | undefined,
  ): Promise<void> {
    const gone = replacedTimers(change);
    if (!gone.length) return;
    await this.ready();
    await this.table.inTransaction(tx, async (q) => {
      const db = this.database(q);
      // One after another: they share the transaction's connection.
      const ids: string[] = [];
      for (const timer of gone) {
        for (const j of await this.boss.findJobs(this.queue, { key: keyOf(owner, timer), db })) {
          if (ARMED.has(j.state)) ids.push(j.id);
        }
      }
      if (ids.length) await this.boss.deleteJob(this.queue, ids, { db });
      for (const a of change.arm) {
        const data: TimerJobData = { ...owner, timer: a.timer, armedVersion: armedVersion ?? null };
        // Seconds after the database's now (pg-boss: job_now() + interval); 0 or less: now.
        const seconds = Math.max(0, a.delayMs) / 1000;
        await this.boss.send(this.queue, data, {
          singletonKey: keyOf(owner, a.timer),
          ...(seconds > 0 ? { startAfter: seconds } : {}),
          db,
        });
      }
    });
  }

  async claim(options: { limit: number; leaseMs: number }): Promise<ClaimedTimer[]> {
    await this.ready();
    const jobs = await this.boss.fetch(this.queue, {
      batchSize: options.limit,
      includeMetadata: true,
    });
    return jobs
      .map((job): ClaimedTimer => {
        const timer = timerOf(job, 1);
        const startedOn = job.startedOn ? new Date(job.startedOn).getTime() : Date.now();
        return {
          ...timer,
          id: job.id,
          claim: String(job.retryCount),
          lateMs: Math.max(0, startedOn - timer.dueAt.getTime()),
        };
      })
      .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  }

  async remove(timer: ClaimedTimer, tx?: unknown): Promise<boolean> {
    const retryCount = Number(timer.claim);
    if (!/^\d+$/.test(timer.claim) || !Number.isSafeInteger(retryCount)) return false;
    await this.ready();
    // Completed, not deleted: pg-boss keeps it for keepSeconds, in its history and dashboards.
    const done = await this.table.inTransaction(tx, (q) =>
      this.boss.complete(this.queue, { id: timer.id, retryCount }, null, { db: this.database(q) }),
    );
    return affected(done) === 1;
  }

  async list(owner: TimerOwner): Promise<StoredTimer[]> {
    await this.ready();
    const jobs = await this.boss.findJobs(this.queue, {
      data: { resource: owner.resource, resourceId: owner.resourceId },
    });
    return jobs
      .filter((j) => ARMED.has(j.state))
      .map((j) => timerOf(j, j.state === 'active' ? 1 : 0))
      .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.timer.localeCompare(b.timer));
  }

  /**
   * pg-boss's `db` on the queries of the ORM's transaction. pg-boss numbers its parameters (`$1`);
   * an ORM whose queries take `?` (MikroORM's) gets them in order, a `?` of the text escaped and
   * arrays as literals.
   */
  private database(q: SqlQueries): PgBossDatabase {
    const numbered = this.table.dialect.placeholder(1) === '$1';
    return {
      executeSql: async (text, values = []) => {
        if (numbered) return { rows: await q.query(text, values) };
        const ordered: unknown[] = [];
        const positional = text.replace(/\?/g, '\\?').replace(/\$(\d+)/g, (_, n: string) => {
          const value = values[Number(n) - 1];
          // An array as PostgreSQL's array literal: such drivers spread an array as a list.
          ordered.push(Array.isArray(value) ? arrayLiteral(value) : value);
          return '?';
        });
        return { rows: await q.query(positional, ordered) };
      },
    };
  }

  /** The queue, created once (createQueue leaves an existing queue as it is). */
  private ready(): Promise<void> {
    this.queueReady ??= this.boss
      .createQueue(this.queue, {
        expireInSeconds: this.leaseSeconds,
        // A timer is never given up: a lapsed claim is retried at once, as often as it takes.
        retryLimit: 1_000_000,
        retryDelay: 0,
        deleteAfterSeconds: this.keepSeconds,
      })
      .catch((err: unknown) => {
        this.queueReady = undefined;
        throw err;
      });
    return this.queueReady;
  }
}

/** The jobs a pg-boss command changed (its response's `affected`; typed `{}` in pg-boss 12). */
function affected(response: object): number {
  return Number((response as { affected?: unknown }).affected ?? 0);
}

/**
 * `{"a","b"}`: an array as PostgreSQL's text form of it (elements quoted, nulls as NULL). pg-boss
 * passes arrays of ids and strings; anything else is written as JSON.
 */
function arrayLiteral(values: readonly unknown[]): string {
  const text = (v: unknown): string =>
    typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : `${v as number}`;
  const element = (v: unknown) =>
    v === null || v === undefined ? 'NULL' : `"${text(v).replace(/["\\]/g, '\\$&')}"`;
  return `{${values.map(element).join(',')}}`;
}

/** A timer's singleton key: unambiguous whatever the resource, id and timer hold. */
function keyOf(owner: TimerOwner, timer: string): string {
  return JSON.stringify([owner.resource, owner.resourceId, timer]);
}

/** A job as a timer; `claimed` counts the running claim in `attempts` (1 for a fetched job). */
function timerOf(job: PgBossJob, claimed: 0 | 1): StoredTimer {
  const data = job.data as TimerJobData;
  return {
    resource: data.resource,
    resourceId: data.resourceId,
    timer: data.timer,
    dueAt: new Date(job.startAfter),
    armedVersion: data.armedVersion,
    armedAt: new Date(job.createdOn),
    attempts: job.retryCount + claimed,
  };
}
