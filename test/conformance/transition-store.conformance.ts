import type { MachineLock } from '../../src/core/index.js';
import {
  encodeState,
  ForbiddenChangesError,
  StoreUnavailableError,
  type TimerStore,
  type TransitionRecord,
  type TransitionStore,
} from '../../src/store/index.js';
import { triggerRefusal } from '../../src/store/database-failures.js';

/**
 * The conformance suite every `TransitionStore` runs (memory, TypeORM, and each adapter to come),
 * on each database it supports: a store is done when it passes. Rows have a state, a version and
 * one other column, `owner`; the store's changes type allows `owner`.
 */
export interface OpenedStore {
  readonly store: TransitionStore<{ owner: string | null }, { owner?: string | null }>;
  /** Inserts a row in `state` (stored form), version 0, owner null; its id. */
  insert(state: string): Promise<string>;
  /** The log of a row, oldest first, or undefined when the store keeps none. */
  log?(id: string): Promise<{ event: string; version: number | null }[]>;
  /**
   * Another store on the same database, as another process would have (its own connections).
   * Not on SQLite: better-sqlite3 waits for a lock synchronously, so two connections of one
   * process deadlock until the busy timeout (test/race runs SQLite with several processes).
   */
  another?(): Promise<OpenedStore['store']>;
  /**
   * Installs (or removes) the machine trigger `transition-guard trigger` prints for the store's
   * table, from `lock`; undefined without a database (memory).
   */
  trigger?(lock: MachineLock, install: boolean): Promise<void>;
  /** Makes the database unreachable for the store; undefined when it cannot be (memory). */
  breakConnection?(): Promise<void>;
  /** The timer store on the same client; undefined where there is none (memory). */
  timers?(): TimerStore;
  close(): Promise<void>;
}

export interface StoreHarness {
  readonly name: string;
  open(): Promise<OpenedStore>;
}

export const record = (
  id: string,
  event: string,
  version: number | undefined,
): TransitionRecord => ({
  transitionId: `00000000-0000-4000-8000-${String(version ?? 999).padStart(12, '0')}`,
  resource: 'ticket',
  resourceId: id,
  event,
  from: 'open',
  to: 'open',
  version,
  actor: null,
  at: new Date(0),
  reason: null,
  comment: null,
  metadata: null,
  machineVersion: 'conformance',
  correlationId: null,
});

export function describeTransitionStore(harness: StoreHarness): void {
  describe(`TransitionStore conformance: ${harness.name}`, () => {
    let opened: OpenedStore;
    beforeEach(async () => {
      opened = await harness.open();
    });
    afterEach(async () => {
      await opened.close();
    });

    it('loads a row with its state, version and context; null for none', async () => {
      const id = await opened.insert('open');
      // The ORM stores name `contextProperties: ['owner']`: the context is that property alone.
      expect(await opened.store.load(id)).toEqual({
        state: 'open',
        version: 0,
        context: { owner: null },
      });
      expect(await opened.store.load('424242')).toBeNull();
    });

    it('counts its rows per stored state, parallel values included', async () => {
      const before = new Map(
        ((await opened.store.countStates?.()) ?? []).map((c) => [encodeState(c.state), c.count]),
      );
      await opened.insert('open');
      await opened.insert('open');
      await opened.insert('closed');
      const after = (await opened.store.countStates?.()) ?? [];
      const counts = new Map(after.map((c) => [encodeState(c.state), c.count]));
      expect(counts.get('open')).toBe((before.get('open') ?? 0) + 2);
      expect(counts.get('closed')).toBe((before.get('closed') ?? 0) + 1);
      expect(after.every((c) => Number.isSafeInteger(c.count) && c.count > 0)).toBe(true);
    });

    // The memory store has no database to install a trigger in.
    (harness.name.startsWith('Memory') ? it.skip : it)(
      "a write the database's machine trigger refuses fails as a refusal the library recognizes, the row unchanged",
      async () => {
        const { store } = opened;
        const id = await opened.insert('open');
        // A lock from a deploy whose machine had no open -> assigned.
        const lock: MachineLock = {
          format: 1,
          machine: 'ticket',
          hash: `sha256:${'0'.repeat(64)}`,
          initial: ['open'],
          states: ['assigned', 'closed', 'open'],
          events: ['CLOSE'],
          edges: [{ from: 'open', event: 'CLOSE', to: 'closed' }],
        };
        await opened.trigger!(lock, true);
        try {
          const failed = await store
            .compareAndSet(
              id,
              { state: 'open', version: 0 },
              { state: 'assigned', changes: { owner: 'ann' } },
              { record: record(id, 'ASSIGN', 1) },
            )
            .then(
              () => undefined,
              (err: unknown) => err,
            );
          expect(triggerRefusal(failed)).toBe('illegal-transition');
          expect(await store.load(id)).toMatchObject({ state: 'open', version: 0 });
          expect(
            await store.compareAndSet(
              id,
              { state: 'open', version: 0 },
              { state: 'closed' },
              { record: record(id, 'CLOSE', 1) },
            ),
          ).toEqual({ written: true, version: 1 });
        } finally {
          await opened.trigger!(lock, false);
        }
      },
    );

    it('writes on a match: the state, the changes and the version in one write; nothing on a miss', async () => {
      const { store } = opened;
      const id = await opened.insert('open');
      const hit = await store.compareAndSet(
        id,
        { state: 'open', version: 0 },
        { state: 'assigned', changes: { owner: 'ann' } },
        { record: record(id, 'ASSIGN', 1) },
      );
      expect(hit).toEqual({ written: true, version: 1 });
      expect(await store.load(id)).toMatchObject({
        state: 'assigned',
        version: 1,
        context: expect.objectContaining({ owner: 'ann' }),
      });
      for (const expected of [
        { state: 'open', version: 1 }, // state moved
        { state: 'assigned', version: 0 }, // version moved
      ]) {
        const miss = await store.compareAndSet(
          id,
          expected,
          { state: 'closed', changes: { owner: 'bob' } },
          { record: record(id, 'CLOSE', 2) },
        );
        expect(miss).toEqual({ written: false });
      }
      expect(await store.load(id)).toMatchObject({
        state: 'assigned',
        version: 1,
        context: expect.objectContaining({ owner: 'ann' }),
      });
      // A row that does not exist is a miss too.
      expect(
        await store.compareAndSet(
          '424242',
          { state: 'open', version: 0 },
          { state: 'closed' },
          { record: record('424242', 'CLOSE', 1) },
        ),
      ).toEqual({ written: false });
    });

    it('fires a claimed timer in its write where it writes timers itself: only while the claim holds it', async () => {
      const timers = opened.timers?.();
      // Only a store that writes timers in its own statement is given `fired` (PostgreSQL).
      if (!timers || !opened.store.writesTimers?.(timers)) {
        return expect(timers && opened.store.writesTimers?.(timers)).toBeFalsy();
      }
      const { store } = opened;
      const id = await opened.insert('open');
      const owner = { resource: 'ticket', resourceId: id };
      const timer = 'xstate.after.10.ticket.open';
      await timers.change(undefined, owner, { disarm: [], arm: [{ timer, delayMs: 0 }] }, 0);
      const [claimed] = await timers.claim({ limit: 10, leaseMs: 30_000 });
      expect(claimed).toMatchObject({ ...owner, timer });
      const fire = (claim: string) =>
        store.compareAndSet(
          id,
          { state: 'open', version: 0 },
          { state: 'closed', changes: { owner: 'timer' } },
          { record: record(id, timer, 1), fired: { id: claimed.id, claim } },
        );
      // A claim that no longer holds it: nothing written, the timer kept.
      expect(await fire('not-this-claim')).toEqual({ written: false });
      expect(await store.load(id)).toMatchObject({ state: 'open', version: 0 });
      expect((await timers.list(owner)).map((t) => t.timer)).toEqual([timer]);
      // The claim that holds it: written, and the timer removed with it.
      expect(await fire(claimed.claim)).toEqual({ written: true, version: 1 });
      expect(await store.load(id)).toMatchObject({
        state: 'closed',
        version: 1,
        context: expect.objectContaining({ owner: 'timer' }),
      });
      expect(await timers.list(owner)).toEqual([]);
    });

    it('increments the version on every write, and returns the row when asked', async () => {
      const { store } = opened;
      const id = await opened.insert('open');
      for (let v = 0; v < 5; v++) {
        const written = await store.compareAndSet(
          id,
          { state: 'open', version: v },
          { state: 'open', changes: { owner: `o${v}` } },
          { record: record(id, 'TOUCH', v + 1), returning: true },
        );
        expect(written).toMatchObject({
          written: true,
          row: expect.objectContaining({ owner: `o${v}` }),
        });
      }
      expect(await store.load(id)).toMatchObject({ version: 5 });
    });

    it('refuses changes to the state, version or id, writing nothing', async () => {
      const { store } = opened;
      const id = await opened.insert('open');
      for (const changes of [{ state: 'x' }, { version: 9 }, { id: 7 }]) {
        await expect(
          store.compareAndSet(
            id,
            { state: 'open', version: 0 },
            { state: 'closed', changes: changes as never },
            { record: record(id, 'CLOSE', 1) },
          ),
        ).rejects.toBeInstanceOf(ForbiddenChangesError);
      }
      expect(await store.load(id)).toMatchObject({ state: 'open', version: 0 });
    });

    it('commits the log row and the beforeCommit work with the state change, or none of them', async () => {
      const { store } = opened;
      const id = await opened.insert('open');
      await expect(
        store.compareAndSet(
          id,
          { state: 'open', version: 0 },
          { state: 'closed', changes: { owner: 'ann' } },
          {
            record: record(id, 'CLOSE', 1),
            beforeCommit: () => Promise.reject(new Error('refused inside the transaction')),
          },
        ),
      ).rejects.toThrow('refused inside the transaction');
      expect(await store.load(id)).toMatchObject({ state: 'open', version: 0 });
      if (opened.log) expect(await opened.log(id)).toEqual([]);
      let inside = false;
      await store.compareAndSet(
        id,
        { state: 'open', version: 0 },
        { state: 'closed' },
        {
          record: record(id, 'CLOSE', 1),
          beforeCommit: () => {
            inside = true;
          },
        },
      );
      expect(inside).toBe(true);
      if (opened.log) expect(await opened.log(id)).toEqual([{ event: 'CLOSE', version: 1 }]);
    });

    it('compares the state alone when no version is expected, and reports the version written', async () => {
      const { store } = opened;
      const id = await opened.insert('open');
      await store.compareAndSet(
        id,
        { state: 'open', version: 0 },
        { state: 'open' },
        {
          record: record(id, 'TOUCH', 1),
        },
      );
      // The caller did not read the row: it knows the state, not the version (the guard's
      // one-statement commit). The store writes and logs the version it gave the row.
      const seen: unknown[] = [];
      const written = await store.compareAndSet(
        id,
        { state: 'open' },
        { state: 'closed' },
        {
          record: record(id, 'CLOSE', undefined),
          beforeCommit: (_tx, w) => {
            seen.push(w.version);
          },
        },
      );
      expect(written).toEqual({ written: true, version: 2 });
      expect(seen).toEqual([2]);
      expect(await store.load(id)).toMatchObject({ state: 'closed', version: 2 });
      if (opened.log) {
        expect(await opened.log(id)).toEqual([
          { event: 'TOUCH', version: 1 },
          { event: 'CLOSE', version: 2 },
        ]);
      }
      // A state that moved is a miss, whatever the version.
      const miss = await store.compareAndSet(
        id,
        { state: 'open' },
        { state: 'closed' },
        {
          record: record(id, 'CLOSE', undefined),
        },
      );
      expect(miss).toEqual({ written: false });
    });

    it('answers StoreUnavailableError when the database cannot be reached', async () => {
      if (!opened.breakConnection) return; // a memory store is never unreachable
      const id = await opened.insert('open');
      await opened.breakConnection();
      await expect(opened.store.load(id)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(
        opened.store.compareAndSet(
          id,
          { state: 'open', version: 0 },
          { state: 'closed' },
          { record: record(id, 'CLOSE', 1) },
        ),
      ).rejects.toBeInstanceOf(StoreUnavailableError);
    });

    it('gives exactly one winner per version when many writers race on one row', async () => {
      const stores = [opened.store, ...(opened.another ? [await opened.another()] : [])];
      const id = await opened.insert('open');
      const WRITERS = 16;
      const ROUNDS = 6;
      const winners = new Map<number, number>();
      let lost = 0;
      await Promise.all(
        Array.from({ length: WRITERS }, async (_, w) => {
          const store = stores[w % stores.length];
          for (let r = 0; r < ROUNDS; r++) {
            const row = await store.load(id);
            const version = row?.version ?? 0;
            const written = await store.compareAndSet(
              id,
              { state: 'open', version },
              { state: 'open', changes: { owner: `w${w}` } },
              { record: record(id, 'TOUCH', version + 1) },
            );
            if (written.written) winners.set(version + 1, (winners.get(version + 1) ?? 0) + 1);
            else lost++;
          }
        }),
      );
      const final = await opened.store.load(id);
      expect(winners.size).toBe(final?.version);
      expect([...winners.values()].every((n) => n === 1)).toBe(true);
      expect(lost).toBeGreaterThan(0); // the writers did race
      expect(winners.size + lost).toBe(WRITERS * ROUNDS);
      if (opened.log) {
        const log = await opened.log(id);
        expect(log.map((l) => l.version)).toEqual([...winners.keys()].sort((a, b) => a - b));
      }
    });

    it('queues pessimistic commits on one row: every one lands, none lost', async () => {
      const { store } = opened;
      if (!store.commitLocked) return; // optimistic-only stores
      const id = await opened.insert('open');
      const N = 20;
      await Promise.all(
        Array.from({ length: N }, (_, i) =>
          store.commitLocked!(
            id,
            (current) => ({
              state: 'open',
              changes: { owner: `${current.context?.owner ?? ''}+` },
              record: record(id, 'TOUCH', (current.version ?? 0) + 1),
            }),
            {},
          ).then(
            (r) => expect(r).not.toBeNull(),
            (e) => Promise.reject(new Error(`${i}: ${e}`)),
          ),
        ),
      );
      const final = await store.load(id);
      expect(final).toMatchObject({
        version: N,
        context: expect.objectContaining({ owner: '+'.repeat(N) }),
      });
    });
  });
}
