import { type StoredState } from '../core/index.js';
import { encodeState, sameState } from '../core/state-value.js';
import { assertChangesAllowed } from './store-errors.js';
import { writtenRecord } from './log-rows.js';
import { MEMORY_SCOPE } from './memory-outbox-store.js';
import type {
  CompareAndSetOptions,
  ExpectedState,
  HistoryPage,
  HistoryQuery,
  LockedDecision,
  StateCount,
  StoredResource,
  TransitionRecord,
  TransitionStore,
  WriteResult,
} from './transition-store.interface.js';

/** A row of `MemoryTransitionStore` (its `rows`, for a test to read or change). */
export interface MemoryRow<TContext> {
  state: StoredState;
  version: number;
  context: TContext;
}

/**
 * An in-memory store, for tests and examples. Compare-and-set is atomic per id (a per-id queue
 * serialises commits, `beforeCommit` included); a throwing `beforeCommit` leaves the row as it was.
 * Changes are merged into the row's context.
 *
 * @example
 * const store = new MemoryTransitionStore<OrderContext>();
 * store.insert('42', { state: 'paid', context: { total: 10, paid: 10 } });
 */
export class MemoryTransitionStore<
  TContext extends object = Record<string, unknown>,
> implements TransitionStore<TContext, Partial<TContext>> {
  readonly rows = new Map<string, MemoryRow<TContext>>();
  readonly log: TransitionRecord[] = [];
  private readonly queues = new Map<string, Promise<unknown>>();

  insert(id: string, row: { state: StoredState; context: TContext; version?: number }): void {
    this.rows.set(id, { state: row.state, context: row.context, version: row.version ?? 0 });
  }

  load(id: string): Promise<StoredResource<TContext> | null> {
    const row = this.rows.get(id);
    return Promise.resolve(
      row ? { state: row.state, context: { ...row.context }, version: row.version } : null,
    );
  }

  /** Rows per stored state. */
  countStates(): Promise<StateCount[]> {
    const counts = new Map<string, StateCount>();
    for (const row of this.rows.values()) {
      const key = encodeState(row.state);
      counts.set(key, { state: row.state, count: (counts.get(key)?.count ?? 0) + 1 });
    }
    return Promise.resolve([...counts.values()]);
  }

  compareAndSet(
    id: string,
    expected: ExpectedState,
    next: { state: StoredState; changes?: Partial<TContext> },
    options: CompareAndSetOptions,
  ): Promise<WriteResult> {
    return this.serially(id, async (): Promise<WriteResult> => {
      assertChangesAllowed(next.changes, OWNED);
      const row = this.rows.get(id);
      if (!row || !sameState(row.state, expected.state)) return { written: false };
      if (expected.version !== undefined && row.version !== expected.version) {
        return { written: false };
      }
      const version = row.version + 1;
      await options.beforeCommit?.(undefined, { version });
      const record = writtenRecord(options.record, expected.version !== undefined, version);
      const written = this.write(id, row, next.state, next.changes, record);
      return options.returning
        ? { written: true, version, row: written }
        : { written: true, version };
    });
  }

  /** Pessimistic commit: commits on one id run one after another (a per-id queue). */
  commitLocked(
    id: string,
    decide: (current: StoredResource<TContext>) => LockedDecision<Partial<TContext>>,
    options: { readonly returning?: boolean },
  ): Promise<{ readonly row?: unknown } | null> {
    return this.serially(id, async () => {
      const row = this.rows.get(id);
      if (!row) return null;
      const decision = decide({
        state: row.state,
        context: { ...row.context },
        version: row.version,
      });
      assertChangesAllowed(decision.changes, OWNED);
      await decision.beforeCommit?.(undefined, { version: row.version + 1 });
      const written = this.write(id, row, decision.state, decision.changes, decision.record);
      return options.returning ? { row: written } : {};
    });
  }

  /** The logged transitions of one resource, newest first; cursors are positions in `log`. */
  history(resource: string, id: string, query: HistoryQuery): Promise<HistoryPage> {
    const entries = [];
    let i = Math.min(
      this.log.length,
      query.before === undefined ? Infinity : Number(query.before) - 1,
    );
    for (i--; i >= 0 && entries.length <= query.limit; i--) {
      const record = this.log[i];
      if (record.resource === resource && record.resourceId === id) {
        entries.push({ ...record, cursor: String(i + 1) });
      }
    }
    const more = entries.length > query.limit;
    if (more) entries.pop();
    return Promise.resolve({ entries, next: more ? (entries.at(-1)?.cursor ?? null) : null });
  }

  /** Memory stores commit in this process: a `MemoryOutboxStore` writes with them. */
  transactionScope(): unknown {
    return MEMORY_SCOPE;
  }

  private write(
    id: string,
    row: MemoryRow<TContext>,
    state: StoredState,
    changes: Partial<TContext> | undefined,
    record: TransitionRecord,
  ): Record<string, unknown> {
    const next = { state, version: row.version + 1, context: { ...row.context, ...changes } };
    this.rows.set(id, next);
    this.log.push(record);
    return { id, state: next.state, version: next.version, ...next.context };
  }

  private serially<T>(id: string, run: () => Promise<T>): Promise<T> {
    const result = (this.queues.get(id) ?? Promise.resolve()).then(run, run);
    this.queues.set(
      id,
      result.catch(() => undefined),
    );
    return result;
  }
}

const OWNED = ['state', 'version', 'id'];
