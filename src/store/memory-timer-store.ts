import { randomUUID } from 'node:crypto';
import { replacedTimers, type TimerChange } from '../core/timers.js';
import { MEMORY_SCOPE } from './memory-outbox-store.js';
import type { ClaimedTimer, StoredTimer, TimerOwner, TimerStore } from './timer-store.interface.js';

interface Row {
  id: string;
  timer: StoredTimer;
  claim: string | null;
  lockedUntil: number;
}

/**
 * Timers in memory, for tests and examples with memory stores: one process, lost on restart. Its
 * clock is `Date.now()` moved by `advance(ms)`: a test says "30 minutes later" in a millisecond
 * (the testing kit's `advanceTime`). `change` runs inside the memory store's compare-and-set, so
 * a rolled-back commit arms nothing.
 *
 * @example
 * const timers = new MemoryTimerStore();
 * timers.advance(30 * 60_000); // due timers are claimed as if 30 minutes had passed
 */
export class MemoryTimerStore implements TimerStore {
  private readonly rows = new Map<string, Row>();
  private seq = 0;
  private offsetMs = 0;

  /** The store's clock: `Date.now()` plus what `advance` added. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves the store's clock forward by `ms`. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`advance(ms): ms must be >= 0 (got ${ms})`);
    this.offsetMs += ms;
  }

  transactionScope(): unknown {
    return MEMORY_SCOPE;
  }

  change(
    _tx: unknown,
    owner: TimerOwner,
    change: TimerChange,
    armedVersion: number | undefined,
  ): Promise<void> {
    const now = this.now();
    const gone = new Set(replacedTimers(change));
    for (const [id, row] of this.rows) {
      const t = row.timer;
      if (t.resource === owner.resource && t.resourceId === owner.resourceId && gone.has(t.timer)) {
        this.rows.delete(id);
      }
    }
    for (const a of change.arm) {
      const id = String(++this.seq);
      const timer: StoredTimer = {
        ...owner,
        timer: a.timer,
        dueAt: new Date(now + Math.round(a.delayMs)),
        armedVersion: armedVersion ?? null,
        armedAt: new Date(now),
        attempts: 0,
      };
      this.rows.set(id, { id, timer, claim: null, lockedUntil: 0 });
    }
    return Promise.resolve();
  }

  claim(options: { limit: number; leaseMs: number }): Promise<ClaimedTimer[]> {
    const now = this.now();
    const due = [...this.rows.values()]
      .filter((r) => r.timer.dueAt.getTime() <= now && r.lockedUntil <= now)
      .sort(
        (a, b) => a.timer.dueAt.getTime() - b.timer.dueAt.getTime() || Number(a.id) - Number(b.id),
      )
      .slice(0, options.limit);
    return Promise.resolve(
      due.map((row) => {
        row.claim = randomUUID();
        row.lockedUntil = now + options.leaseMs;
        row.timer = { ...row.timer, attempts: row.timer.attempts + 1 };
        return {
          ...row.timer,
          id: row.id,
          claim: row.claim,
          lateMs: Math.max(0, now - row.timer.dueAt.getTime()),
        };
      }),
    );
  }

  remove(timer: ClaimedTimer): Promise<boolean> {
    const row = this.rows.get(timer.id);
    if (!row || row.claim !== timer.claim) return Promise.resolve(false);
    this.rows.delete(timer.id);
    return Promise.resolve(true);
  }

  list(owner: TimerOwner): Promise<StoredTimer[]> {
    return Promise.resolve(
      [...this.rows.values()]
        .filter(
          (r) => r.timer.resource === owner.resource && r.timer.resourceId === owner.resourceId,
        )
        .sort(
          (a, b) =>
            a.timer.dueAt.getTime() - b.timer.dueAt.getTime() || Number(a.id) - Number(b.id),
        )
        .map((r) => r.timer),
    );
  }
}
