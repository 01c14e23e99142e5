import { randomUUID } from 'node:crypto';
import {
  IdempotencyKeyLostError,
  type IdempotencyClaim,
  type IdempotencyStore,
} from '../../src/store/index.js';

/** The conformance suite every `IdempotencyStore` runs, on each database it supports. */
export interface IdempotencyHarness {
  readonly name: string;
  open(): Promise<{
    store: IdempotencyStore;
    /** Another store on the same database (another process), for concurrent claims. */
    another?: () => Promise<IdempotencyStore>;
    close(): Promise<void>;
  }>;
}

const claim = (leaseMs = 60_000, ttlMs = 3_600_000): IdempotencyClaim => ({
  fingerprint: 'POST /orders/1/pay {"amount":1}',
  token: randomUUID(),
  leaseUntil: new Date(Date.now() + leaseMs),
  expiresAt: new Date(Date.now() + ttlMs),
});
const response = { status: 200, body: { ok: true }, headers: { etag: '"v1"' } };

export function describeIdempotencyStore(harness: IdempotencyHarness): void {
  describe(`IdempotencyStore conformance: ${harness.name}`, () => {
    let opened: Awaited<ReturnType<IdempotencyHarness['open']>>;
    let store: IdempotencyStore;
    beforeEach(async () => {
      opened = await harness.open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.close();
    });

    it('claims a key once per caller; the holder marks it committed, then completes it', async () => {
      const first = claim();
      expect(await store.claim('ann', 'k1', first)).toBe(true);
      expect(await store.claim('ann', 'k1', claim())).toBe(false);
      expect(await store.claim('bob', 'k1', claim())).toBe(true); // keys are per caller
      expect(await store.get('ann', 'k1')).toMatchObject({
        status: 'in-progress',
        token: first.token,
        fingerprint: first.fingerprint,
      });
      await store.markCommitted('ann', 'k1', first.token, { to: 'paid' }, undefined);
      expect(await store.get('ann', 'k1')).toMatchObject({
        status: 'committed',
        committed: { to: 'paid' },
      });
      await store.complete('ann', 'k1', first.token, response);
      expect(await store.get('ann', 'k1')).toMatchObject({ status: 'completed', response });
      expect(await store.claim('ann', 'k1', claim())).toBe(false); // settled: replayed, never re-run
    });

    it('refuses to mark committed for an attempt that does not hold the key', async () => {
      const held = claim();
      await store.claim('ann', 'k2', held);
      await expect(
        store.markCommitted('ann', 'k2', randomUUID(), {}, undefined),
      ).rejects.toBeInstanceOf(IdempotencyKeyLostError);
      await expect(
        store.markCommitted('ann', 'unclaimed', held.token, {}, undefined),
      ).rejects.toBeInstanceOf(IdempotencyKeyLostError);
    });

    it('frees a key released by its holder (only by its holder, only before it committed)', async () => {
      const held = claim();
      await store.claim('ann', 'k3', held);
      await store.release('ann', 'k3', randomUUID()); // not the holder: nothing happens
      expect(await store.claim('ann', 'k3', claim())).toBe(false);
      await store.release('ann', 'k3', held.token);
      expect(await store.get('ann', 'k3')).toBeNull();
      const again = claim();
      expect(await store.claim('ann', 'k3', again)).toBe(true);
      await store.markCommitted('ann', 'k3', again.token, {}, undefined);
      await store.release('ann', 'k3', again.token); // committed keys are never freed
      expect(await store.get('ann', 'k3')).toMatchObject({ status: 'committed' });
    });

    it('lets a retry take over a key whose lease ended; the old attempt has lost it', async () => {
      const old = claim(-1);
      expect(await store.claim('ann', 'k4', old)).toBe(true);
      const retry = claim();
      expect(await store.claim('ann', 'k4', retry)).toBe(true);
      await expect(
        store.markCommitted('ann', 'k4', old.token, {}, undefined),
      ).rejects.toBeInstanceOf(IdempotencyKeyLostError);
      await store.markCommitted('ann', 'k4', retry.token, {}, undefined);
    });

    it('forgets expired records', async () => {
      await store.claim('ann', 'k5', claim(60_000, -1));
      expect(await store.get('ann', 'k5')).toBeNull();
      expect(await store.claim('ann', 'k5', claim())).toBe(true);
    });

    it('renews the lease of the holder only: a renewed key is not taken over', async () => {
      const held = claim(300);
      expect(await store.claim('ann', 'k6', held)).toBe(true);
      const renew = store.renew!.bind(store);
      expect(await renew('ann', 'k6', held.token, new Date(Date.now() + 60_000))).toBe(true);
      await new Promise((r) => setTimeout(r, 400)); // past the first lease
      expect(await store.claim('ann', 'k6', claim())).toBe(false);
      expect(await renew('ann', 'k6', randomUUID(), new Date(Date.now() + 60_000))).toBe(false);
      await store.markCommitted('ann', 'k6', held.token, {}, undefined);
      // A committed key is never in progress again: nothing to renew.
      expect(await renew('ann', 'k6', held.token, new Date(Date.now() + 60_000))).toBe(false);
      // An attempt that lost its key to a takeover cannot renew it back.
      const lapsed = claim(-1);
      await store.claim('ann', 'k7', lapsed);
      await store.claim('ann', 'k7', claim());
      expect(await renew('ann', 'k7', lapsed.token, new Date(Date.now() + 60_000))).toBe(false);
    });

    it('purges expired keys in bounded batches, and only expired ones', async () => {
      for (let i = 0; i < 5; i++) await store.claim('old', `p${i}`, claim(-1, -1));
      await store.claim('new', 'p0', claim());
      const purge = store.purge!.bind(store);
      expect(await purge(new Date(), 3)).toBe(3);
      expect(await purge(new Date(), 3)).toBe(2);
      expect(await purge(new Date(), 3)).toBe(0);
      expect(await store.get('new', 'p0')).toMatchObject({ status: 'in-progress' });
      // The purged keys are gone, not merely hidden: they can be claimed as new.
      expect(await store.claim('old', 'p1', claim())).toBe(true);
    });

    it('gives a key to exactly one of many concurrent claims', async () => {
      const stores = [store, ...(opened.another ? [await opened.another()] : [])];
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          stores[i % stores.length].claim('ann', 'race', claim()),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}
