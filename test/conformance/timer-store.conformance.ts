import type { ClaimedTimer, TimerStore } from '../../src/store/index.js';

/** A timer store under test, with the transactions of a transition store on the same client. */
export interface OpenedTimers {
  readonly timers: TimerStore;
  /** Runs `work` in a transaction of the transition stores' client (undefined: no transactions). */
  readonly inTransaction?: <T>(work: (tx: unknown) => Promise<T>) => Promise<T>;
  /**
   * How long after a claim's `leaseMs` another claim may still wait to take the timer (pg-boss: its
   * lease is the queue's expireInSeconds, and its supervision runs every few seconds); default 0,
   * at once.
   */
  readonly takeoverWithinMs?: number;
  /** A second store on another connection to the same database, for concurrent claims. */
  readonly another?: () => Promise<{ timers: TimerStore; close(): Promise<void> }>;
  close(): Promise<void>;
}

const owner = { resource: 'order', resourceId: '7' };
const A = 'xstate.after.10.order.pending';
const B = 'xstate.after.60000.order.pending';

/**
 * What every `TimerStore` promises: timers armed and disarmed through the transition's
 * transaction (a rollback arms nothing), due by the database's clock, claimed once while a lease
 * runs, removed only by the claim that holds them, and several claimers never holding one timer.
 */
export function describeTimerStore(name: string, open: () => Promise<OpenedTimers>): void {
  describe(`TimerStore conformance: ${name}`, () => {
    let opened: OpenedTimers;
    beforeEach(async () => {
      opened = await open();
    });
    afterEach(async () => {
      await opened.close();
    });

    const arm = (tx: unknown, timers: { timer: string; delayMs: number }[], version?: number) =>
      opened.timers.change(tx, owner, { disarm: [], arm: timers }, version);

    it('arms timers due at the database clock plus their delay, soonest first', async () => {
      const before = Date.now();
      const work = (tx: unknown) =>
        arm(
          tx,
          [
            { timer: B, delayMs: 60_000 },
            { timer: A, delayMs: 0 },
          ],
          3,
        );
      await (opened.inTransaction ? opened.inTransaction(work) : work(undefined));
      const listed = await opened.timers.list(owner);
      expect(listed.map((t) => t.timer)).toEqual([A, B]);
      const [a, b] = listed;
      expect(b.dueAt.getTime() - b.armedAt.getTime()).toBe(60_000);
      expect(a.dueAt.getTime()).toBe(a.armedAt.getTime());
      expect(a).toMatchObject({ ...owner, armedVersion: 3, attempts: 0 });
      // The database runs on this machine: its clock and ours agree within a few seconds.
      expect(Math.abs(a.armedAt.getTime() - before)).toBeLessThan(5_000);
      expect(await opened.timers.list({ ...owner, resourceId: '8' })).toEqual([]);
    });

    it('arms nothing when the transition rolls back', async () => {
      const inTransaction = opened.inTransaction;
      if (!inTransaction) return expect(inTransaction).toBeUndefined(); // memory: no transactions
      await expect(
        inTransaction(async (tx) => {
          await arm(tx, [{ timer: A, delayMs: 0 }]);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(await opened.timers.list(owner)).toEqual([]);
    });

    it('claims due timers only, once while the lease runs; only the claim removes it', async () => {
      await arm(undefined, [
        { timer: A, delayMs: 0 },
        { timer: B, delayMs: 60_000 },
      ]);
      const [claimed, ...more] = await opened.timers.claim({ limit: 10, leaseMs: 30_000 });
      expect(more).toEqual([]);
      expect(claimed).toMatchObject({ ...owner, timer: A, attempts: 1 });
      expect(claimed.lateMs).toBeGreaterThanOrEqual(0);
      expect(await opened.timers.claim({ limit: 10, leaseMs: 30_000 })).toEqual([]);
      expect(await opened.timers.remove({ ...claimed, claim: 'not-this-one' })).toBe(false);
      expect(await opened.timers.remove(claimed)).toBe(true);
      expect(await opened.timers.remove(claimed)).toBe(false);
      expect((await opened.timers.list(owner)).map((t) => t.timer)).toEqual([B]);
    });

    it('lets another claim take a timer whose lease ran out; the first claim then removes nothing', async () => {
      await arm(undefined, [{ timer: A, delayMs: 0 }]);
      const [first] = await opened.timers.claim({ limit: 1, leaseMs: 1 });
      await new Promise((resolve) => setTimeout(resolve, 30));
      const until = Date.now() + (opened.takeoverWithinMs ?? 0);
      let [second] = await opened.timers.claim({ limit: 1, leaseMs: 30_000 });
      while (!second && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        [second] = await opened.timers.claim({ limit: 1, leaseMs: 30_000 });
      }
      expect(second).toMatchObject({ id: first.id, attempts: 2 });
      expect(second.claim).not.toBe(first.claim);
      expect(await opened.timers.remove(first)).toBe(false);
      expect(await opened.timers.remove(second)).toBe(true);
    });

    it('disarms, and re-arms a timer as a new one that an earlier claim no longer holds', async () => {
      const other = { resource: 'order', resourceId: '8' };
      await arm(undefined, [{ timer: A, delayMs: 0 }]);
      await opened.timers.change(
        undefined,
        other,
        { disarm: [], arm: [{ timer: A, delayMs: 0 }] },
        1,
      );
      const claimed = await opened.timers.claim({ limit: 10, leaseMs: 30_000 });
      const mine = claimed.find((t) => t.resourceId === '7') as ClaimedTimer;
      // Left and entered again (reenter): the deadline starts over.
      await opened.timers.change(
        undefined,
        owner,
        { disarm: [A], arm: [{ timer: A, delayMs: 60_000 }] },
        2,
      );
      expect(await opened.timers.remove(mine)).toBe(false);
      const [again] = await opened.timers.list(owner);
      expect(again).toMatchObject({ timer: A, armedVersion: 2, attempts: 0 });
      // Another resource's timer of the same name is its own.
      await opened.timers.change(undefined, owner, { disarm: [A], arm: [] }, 3);
      expect(await opened.timers.list(owner)).toEqual([]);
      expect((await opened.timers.list(other)).map((t) => t.timer)).toEqual([A]);
    });

    it('never hands one timer to two claimers at once', async () => {
      const another = opened.another;
      if (!another) return expect(another).toBeUndefined(); // one connection (SQLite, memory)
      const second = await another();
      try {
        for (let r = 0; r < 10; r++) {
          await opened.timers.change(
            undefined,
            { resource: 'order', resourceId: String(100 + r) },
            { disarm: [], arm: [0, 1, 2, 3].map((i) => ({ timer: `${A}.${i}`, delayMs: 0 })) },
            1,
          );
        }
        const drain = async (store: TimerStore) => {
          const got: ClaimedTimer[] = [];
          for (;;) {
            const batch = await store.claim({ limit: 3, leaseMs: 30_000 });
            if (!batch.length) return got;
            got.push(...batch);
          }
        };
        const [one, two] = await Promise.all([drain(opened.timers), drain(second.timers)]);
        const ids = [...one, ...two].map((t) => t.id);
        expect(ids).toHaveLength(40);
        expect(new Set(ids).size).toBe(40);
      } finally {
        await second.close();
      }
    });
  });
}
