import { sameState, type StoredState } from '../core/index.js';
import { assertChangesAllowed } from './store-errors.js';
import type {
  CompareAndSetOptions,
  ExpectedState,
  StoredResource,
  TransitionRecord,
  TransitionStore,
} from './transition-store.interface.js';

interface Row<TContext> {
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
  readonly rows = new Map<string, Row<TContext>>();
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

  compareAndSet(
    id: string,
    expected: ExpectedState,
    next: { state: StoredState; changes?: Partial<TContext> },
    options: CompareAndSetOptions,
  ): Promise<boolean> {
    assertChangesAllowed(next.changes, ['state', 'version', 'id']);
    const run = async () => {
      const row = this.rows.get(id);
      if (!row || !sameState(row.state, expected.state)) return false;
      if (expected.version !== undefined && row.version !== expected.version) return false;
      await options.beforeCommit?.(undefined);
      this.rows.set(id, {
        state: next.state,
        version: row.version + 1,
        context: { ...row.context, ...next.changes },
      });
      this.log.push(options.record);
      return true;
    };
    const result = (this.queues.get(id) ?? Promise.resolve()).then(run, run);
    this.queues.set(
      id,
      result.catch(() => undefined),
    );
    return result;
  }
}
