import { randomUUID } from 'node:crypto';
import { MemoryIdempotencyStore } from '../../../src/index.js';
import { StoreUnavailableError } from '../../../src/store/index.js';

const claim = (ttlMs: number) => ({
  fingerprint: 'f',
  token: randomUUID(),
  leaseUntil: new Date(Date.now() + 60_000),
  expiresAt: new Date(Date.now() + ttlMs),
});

describe('MemoryIdempotencyStore is bounded', () => {
  it('drops expired keys to make room, and refuses (503) rather than forget a live one', async () => {
    const store = new MemoryIdempotencyStore(3);
    await store.claim('ann', 'a', claim(-1));
    await store.claim('ann', 'b', claim(60_000));
    await store.claim('ann', 'c', claim(60_000));
    expect(store.size).toBe(3);
    // Full: the expired key makes room.
    expect(await store.claim('ann', 'd', claim(60_000))).toBe(true);
    expect(store.size).toBe(3);
    // Full of live keys: a new key is refused as unavailable, and nothing is forgotten.
    const full = store.claim('ann', 'e', claim(60_000));
    await expect(full).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(full).rejects.toThrow(/maxKeys/);
    for (const key of ['b', 'c', 'd']) expect(await store.get('ann', key)).not.toBeNull();
  });

  it('stays flat under many short-lived keys once purged', async () => {
    const store = new MemoryIdempotencyStore();
    for (let i = 0; i < 20_000; i++) await store.claim('ann', `k${i}`, claim(-1));
    expect(store.size).toBe(20_000);
    expect(await store.purge(new Date(), 5_000)).toBe(5_000);
    expect(await store.purge(new Date(), 100_000)).toBe(15_000);
    expect(store.size).toBe(0);
  });
});
