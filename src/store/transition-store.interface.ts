import type { JoinedTransaction } from './ambient-transaction.js';
import type { StoredState } from '../core/index.js';
import type { TransitionRecord } from './transition-record.js';
import type { NewOutboxMessage, OutboxStore } from './outbox-store.interface.js';
import type { TimerStore } from './timer-store.interface.js';
import type { TimerChange } from '../core/timers.js';

/** A resource as a store holds it. */
export interface StoredResource<TContext = unknown> {
  readonly state: StoredState;
  readonly context?: TContext;
  /** Counts committed transitions; compared and incremented by `compareAndSet`. */
  readonly version?: number;
}

/** What the check was made against: the write happens only if the row still matches it. */
export interface ExpectedState {
  readonly state: StoredState;
  /** Compared too when the store keeps a version. */
  readonly version?: number;
}

export type { TransitionRecord } from './transition-record.js';

/** One page of a resource's history: `limit` entries, newest first, before the `before` cursor. */
export interface HistoryQuery {
  readonly limit: number;
  /** The `next` cursor of the previous page. */
  readonly before?: string;
}

/** A logged transition, with the cursor that pages past it. */
export type HistoryEntry = TransitionRecord & { readonly cursor: string };

/** Entries newest first; `next` is the cursor of the following (older) page, or null at the end. */
export interface HistoryPage {
  readonly entries: readonly HistoryEntry[];
  readonly next: string | null;
}

export interface CompareAndSetOptions {
  /**
   * The log row. When `expected.version` is undefined and the store keeps a version, the version
   * is the one written (the row's, whatever it was), not `record.version`.
   */
  readonly record: TransitionRecord;
  /**
   * Runs after the row matched and was updated, before the change is committed, inside the same
   * transaction where the store has transactions (`tx` is then its handle, e.g. a TypeORM
   * EntityManager), with the version written. Throwing rolls the whole change back.
   */
  readonly beforeCommit?: (tx: unknown, written: Written) => Promise<void> | void;
  /** Return the row as written (`RETURNING` where the database has it, else a read in the write's transaction). */
  readonly returning?: boolean;
  /**
   * Outbox messages to write with the change, in its own statement or transaction: given only to
   * a store whose `writesMessages()` accepted the app's outbox store (else they come through
   * `beforeCommit`).
   */
  readonly messages?: readonly NewOutboxMessage[];
  /**
   * Timers to disarm and arm with the change (the resource's own), given only to a store whose
   * `writesTimers()` accepted the app's timer store (else they come through `beforeCommit`):
   * armed with the version written.
   */
  readonly timers?: TimerChange;
  /**
   * A due timer this change fires, claimed by the firing loop (its row's id and claim): the
   * change is written only while the claim still holds it, and the timer is removed with it.
   * Given only to a store whose `writesTimers()` accepted the app's timer store, for a resource
   * that keeps a version (else the timer is removed through `beforeCommit`).
   */
  readonly fired?: { readonly id: string; readonly claim: string };
}

/** What a write wrote: the row's new version, when the store keeps one. */
export interface Written {
  readonly version: number | undefined;
}

/** What a write did: nothing (the row was not as expected), or written, with the row when asked. */
export type WriteResult =
  | { readonly written: false }
  | { readonly written: true; readonly version?: number; readonly row?: unknown };

/**
 * What a pessimistic commit writes, decided with the row locked: the next state, the changes,
 * the log record, and what must commit with it. Throwing instead refuses the commit (rolled back).
 */
export interface LockedDecision<TChanges extends object = Record<string, unknown>> {
  readonly state: StoredState;
  readonly changes?: TChanges;
  readonly record: TransitionRecord;
  readonly beforeCommit?: (tx: unknown, written: Written) => Promise<void> | void;
}

/** Rows in one stored state: an answer of `TransitionStore.countStates()`. */
export interface StateCount {
  readonly state: StoredState;
  readonly count: number;
}

/**
 * Where resources live, with the one write that closes the check-then-write gap: compare-and-set.
 * Implementations: `MemoryTransitionStore` (tests, examples) and `TypeOrmTransitionStore`
 * (`nestjs-transition-guard/typeorm`, SQLite and PostgreSQL).
 */
export interface TransitionStore<
  TContext = unknown,
  TChanges extends object = Record<string, unknown>,
> {
  load(id: string): Promise<StoredResource<TContext> | null>;
  /**
   * The id as the store's key column holds it, or undefined when no row can have it (a number out
   * of the column's range, leading zeros on an integer key, not a UUID for a UUID key). The guard
   * answers 400 for those before touching the database, unless the module's `idPattern` is set.
   */
  canonicalId?(id: string): string | undefined;
  /**
   * How many rows are in each stored state (`SELECT state, COUNT(*) ... GROUP BY state`): what
   * the bootstrap's stored-state check compares with the machine (option `storedStates`).
   */
  countStates?(): Promise<readonly StateCount[]>;
  /**
   * The machine hash of the trigger installed on the resource table (`transition-guard
   * trigger`), undefined when none is: the bootstrap warns when it is not the machine's.
   */
  installedTriggerHash?(): Promise<string | undefined>;
  /**
   * Checks at bootstrap that the store can work (its tables and columns are known to the ORM),
   * throwing an error that names the fix. Called once when the resource is registered.
   */
  verify?(): void;
  /**
   * Writes `next` (the new state plus the handler's other changes, in one statement) only if the
   * row still is in `expected` state (and version); increments the version in the same statement.
   * Returns whether the row matched. Refuses `changes` that try to set the state, version or id.
   */
  compareAndSet(
    id: string,
    expected: ExpectedState,
    next: { readonly state: StoredState; readonly changes?: TChanges },
    options: CompareAndSetOptions,
  ): Promise<WriteResult>;
  /**
   * A resource's transition log, newest first, with keyset pagination (stores that keep a log).
   * Cursors are decimal strings (a log row's id); `TransitionService.history()` checks the query
   * before calling.
   */
  history?(resource: string, id: string, query: HistoryQuery): Promise<HistoryPage>;
  /**
   * What transaction handles of this store are: outbox rows are written through them, so an
   * outbox store must share it (the TypeORM stores answer their DataSource, the memory stores a
   * constant). Compared at bootstrap.
   */
  transactionScope?(): unknown;
  /**
   * Whether `compareAndSet` can write this outbox store's messages itself (`options.messages`),
   * for example in the change's own statement. Default: no, they come through `beforeCommit`.
   */
  writesMessages?(outbox: OutboxStore): boolean;
  /**
   * Whether `compareAndSet` can write this timer store's timers itself (`options.timers`), in the
   * change's own statement. Default: no, they come through `beforeCommit`.
   */
  writesTimers?(timers: TimerStore): boolean;
  /**
   * The app's open transaction that this store's next load and write join (a store given a
   * `transactionHost`, inside `@Transactional()`), or undefined when it runs its own. What must
   * wait for the commit (afterCommit hooks, the Idempotency-Key's settlement) waits for that one.
   */
  joinedTransaction?(): JoinedTransaction | undefined;
  /**
   * Pessimistic commit, for hot rows: in one transaction, locks the row (`SELECT ... FOR UPDATE`
   * on PostgreSQL, the write lock up front on SQLite), hands it to `decide`, writes what it
   * returns. Concurrent commits queue instead of losing a race. Resolves to null when there is no
   * such row. Stores without it commit optimistically.
   */
  commitLocked?(
    id: string,
    decide: (current: StoredResource<TContext>) => LockedDecision<TChanges>,
    options: { readonly returning?: boolean },
  ): Promise<{ readonly row?: unknown } | null>;
}
