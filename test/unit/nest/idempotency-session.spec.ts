import { Logger } from '@nestjs/common';
import {
  IdempotencyKeyReusedException,
  MemoryIdempotencyStore,
  RequestInProgressException,
  RoleRequiredException,
} from '../../../src/index.js';
import { IdempotencyKeyLostError } from '../../../src/store/index.js';
import { IdempotencySession } from '../../../src/nest/idempotency/idempotency-session.js';

const logger = new Logger('test');
const timing = { leaseSeconds: 60, ttlSeconds: 3600 };
const request = { caller: 'ann', key: 'pay-1', fingerprint: 'f1', roles: [] as string[] };

async function open(
  store: MemoryIdempotencyStore,
  overrides: Partial<typeof request> = {},
  t = timing,
) {
  return IdempotencySession.open(store, { ...request, ...overrides }, t, 'order', logger);
}

async function session(
  store: MemoryIdempotencyStore,
  overrides: Partial<typeof request> = {},
  t = timing,
) {
  const opened = await open(store, overrides, t);
  if (!(opened instanceof IdempotencySession)) throw new Error('expected a session, got a replay');
  return opened;
}

describe('IdempotencySession', () => {
  it('takes a new key, then refuses a second attempt while the first holds it', async () => {
    const store = new MemoryIdempotencyStore();
    await session(store);
    await expect(open(store)).rejects.toBeInstanceOf(RequestInProgressException);
  });

  it('replays a completed key, and refuses it for a different request with 422', async () => {
    const store = new MemoryIdempotencyStore();
    const first = await session(store);
    await first.complete({ status: 200, body: { ok: 1 }, headers: { etag: '"v1"' } });
    expect(await open(store)).toEqual({
      replay: { status: 200, body: { ok: 1 }, headers: { etag: '"v1"' } },
    });
    await expect(open(store, { fingerprint: 'f2' })).rejects.toBeInstanceOf(
      IdempotencyKeyReusedException,
    );
  });

  it('keeps keys apart per caller', async () => {
    const store = new MemoryIdempotencyStore();
    const ann = await session(store);
    await ann.complete({ status: 200, body: { by: 'ann' }, headers: {} });
    expect(await open(store, { caller: 'bob' })).toBeInstanceOf(IdempotencySession);
  });

  it('replays what was committed when the response was never stored, and never frees a committed key', async () => {
    const store = new MemoryIdempotencyStore();
    const first = await session(store);
    await first.markCommitted({ event: 'PAY', version: 1 }, undefined, undefined);
    await first.abandon();
    expect(await open(store)).toEqual({
      replay: { status: 200, body: { transition: { event: 'PAY', version: 1 } }, headers: {} },
    });
  });

  it('frees the key of an attempt that failed before committing', async () => {
    const store = new MemoryIdempotencyStore();
    await (await session(store)).abandon();
    expect(await open(store)).toBeInstanceOf(IdempotencySession);
  });

  it('keeps renewing the lease while the attempt runs: a retry after the first lease is refused', async () => {
    const store = new MemoryIdempotencyStore();
    const first = await session(store, {}, { leaseSeconds: 1, ttlSeconds: 3600 });
    await new Promise((r) => setTimeout(r, 1600));
    await expect(open(store)).rejects.toBeInstanceOf(RequestInProgressException);
    await first.markCommitted({ version: 1 }, undefined, undefined);
    first.committed();
  });

  it('lets a retry take a key over once its lease ended unrenewed; the first attempt can no longer commit', async () => {
    // A store that cannot renew leases (renew is optional): the lease ends after a second.
    const store = Object.assign(new MemoryIdempotencyStore(), { renew: undefined });
    const first = await session(store, {}, { leaseSeconds: 1, ttlSeconds: 3600 });
    await expect(open(store)).rejects.toBeInstanceOf(RequestInProgressException);
    await new Promise((r) => setTimeout(r, 1100));
    const second = await session(store);
    await expect(first.markCommitted({}, undefined, undefined)).rejects.toBeInstanceOf(
      IdempotencyKeyLostError,
    );
    await first.abandon(); // does not free the key the second attempt holds
    await expect(open(store)).rejects.toBeInstanceOf(RequestInProgressException);
    await second.markCommitted({ version: 1 }, undefined, undefined);
  });

  it('asks a replay for the roles the committed transition needed (403 before any replay)', async () => {
    const store = new MemoryIdempotencyStore();
    const support = await session(store, { caller: 'anonymous', roles: ['support'] });
    await support.markCommitted({ id: '7', event: 'REFUND' }, ['support'], undefined);
    await support.complete({ status: 200, body: { refunded: true }, headers: {} });
    await expect(open(store, { caller: 'anonymous', roles: [] })).rejects.toBeInstanceOf(
      RoleRequiredException,
    );
    expect(await open(store, { caller: 'anonymous', roles: ['support'] })).toEqual({
      replay: { status: 200, body: { refunded: true }, headers: {} },
    });
  });
});
