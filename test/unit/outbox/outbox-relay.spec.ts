import { MemoryOutboxStore, type TransitionDelivery } from '../../../src/index.js';
import { retryDelay } from '../../../src/outbox/backoff.js';
import { OutboxRelay, type RelayOptions, type TransitionRecord } from '../../../src/store/index.js';
import { gatherAfter } from '../../../src/outbox/outbox-relay.js';

/** The relay on the memory outbox: retries with backoff, dead letters, leases, exactly-once. */
const record = (n: number, event = 'PAY'): TransitionRecord => ({
  transitionId: `t-${n}`,
  resource: 'order',
  resourceId: String(n),
  event,
  from: 'pending',
  to: 'paid',
  version: 1,
  actor: null,
  at: new Date(0),
  reason: null,
  comment: null,
  metadata: null,
  machineVersion: 'abc',
  correlationId: null,
});

const options: RelayOptions = {
  batchSize: 10,
  pollIntervalMs: 20,
  leaseMs: 5000,
  maxAttempts: 3,
  backoff: { baseMs: 1000, maxMs: 60_000 },
  keepDeliveredMs: 0,
};

function quietLog() {
  const lines: string[] = [];
  return {
    lines,
    warn: (m: string) => lines.push(`warn ${m}`),
    error: (m: string) => lines.push(`error ${m}`),
  };
}

async function enqueue(store: MemoryOutboxStore, handler: string, ...ns: number[]) {
  await store.enqueue(
    undefined,
    ns.map((n) => ({ handler, record: record(n), payload: { amount: n } })),
  );
}

describe('retryDelay', () => {
  it('doubles from the base, caps at the max, and jitters within the upper half', () => {
    const backoff = { baseMs: 1000, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelay(backoff, a, () => 1))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
    expect(retryDelay(backoff, 3, () => 0)).toBe(2000);
    for (let i = 0; i < 100; i++) {
      const d = retryDelay(backoff, 2);
      expect(d).toBeGreaterThanOrEqual(1000);
      expect(d).toBeLessThanOrEqual(2000);
    }
  });
});

describe('OutboxRelay', () => {
  it('delivers each message to its handler, with the transition and its payload, then deletes it', async () => {
    const store = new MemoryOutboxStore();
    const seen: TransitionDelivery[] = [];
    const relay = new OutboxRelay(
      store,
      new Map([['N.notify', (d: TransitionDelivery) => void seen.push(d)]]),
      options,
      quietLog(),
    );
    await enqueue(store, 'N.notify', 1, 2);
    expect(await relay.drain()).toEqual({ claimed: 2, delivered: 2, retried: 0, dead: 0 });
    expect(seen.map((d) => [d.transitionId, d.attempt, d.payload.amount, d.record.event])).toEqual([
      ['t-1', 1, 1, 'PAY'],
      ['t-2', 1, 2, 'PAY'],
    ]);
    expect(await store.list({ status: 'pending', limit: 10 })).toEqual([]);
    expect(await store.list({ status: 'delivered', limit: 10 })).toEqual([]);
  });

  it('retries a failing handler after a backoff, never blocking other messages, and parks it as dead after maxAttempts', async () => {
    const store = new MemoryOutboxStore();
    const log = quietLog();
    const delivered: string[] = [];
    const relay = new OutboxRelay(
      store,
      new Map([
        [
          'N.notify',
          (d: TransitionDelivery) => {
            if (d.record.resourceId === '1') throw new Error('SMTP 451');
            delivered.push(d.transitionId);
          },
        ],
      ]),
      options,
      log,
    );
    await enqueue(store, 'N.notify', 1, 2, 3);
    const t0 = Date.now();
    expect(await relay.round(new Date(t0))).toEqual({
      claimed: 3,
      delivered: 2,
      retried: 1,
      dead: 0,
    });
    expect(delivered).toEqual(['t-2', 't-3']);
    const [waiting] = await store.list({ status: 'pending', limit: 10 });
    expect(waiting).toMatchObject({ attempts: 1, lastError: 'Error: SMTP 451' });
    // Not due before its backoff (500 to 1,000 ms after the first failure).
    const retryAt = waiting.availableAt.getTime();
    expect(retryAt - t0).toBeGreaterThanOrEqual(500);
    expect(retryAt - t0).toBeLessThanOrEqual(1100);
    expect((await relay.round(new Date(retryAt - 1))).claimed).toBe(0);
    expect(await relay.round(new Date(retryAt))).toMatchObject({ claimed: 1, retried: 1 });
    const second = (await store.list({ status: 'pending', limit: 10 }))[0];
    expect(second.attempts).toBe(2);
    expect(await relay.round(second.availableAt)).toMatchObject({ claimed: 1, dead: 1 });
    const [dead] = await store.list({ status: 'dead', limit: 10 });
    expect(dead).toMatchObject({ id: waiting.id, attempts: 3, lastError: 'Error: SMTP 451' });
    expect(log.lines.at(-1)).toMatch(/parked as dead after 3 attempts: Error: SMTP 451/);
    // Redriven: pending again, attempts reset.
    expect(await store.redrive(dead.id, new Date())).toBe(true);
    expect(await store.redrive(dead.id, new Date())).toBe(false);
    expect((await store.list({ status: 'pending', limit: 10 }))[0]).toMatchObject({
      attempts: 0,
    });
  });

  it('fails a message whose handler is not in this application, naming it', async () => {
    const store = new MemoryOutboxStore();
    const relay = new OutboxRelay(store, new Map(), { ...options, maxAttempts: 1 }, quietLog());
    await enqueue(store, 'Gone.handler', 1);
    expect(await relay.drain()).toMatchObject({ dead: 1 });
    expect((await store.list({ status: 'dead', limit: 1 }))[0].lastError).toMatch(
      /no handler 'Gone.handler' in this application/,
    );
  });

  it('lets another relay take a message whose lease ended (a crashed relay), and only then', async () => {
    const store = new MemoryOutboxStore();
    await enqueue(store, 'N.notify', 1);
    const now = Date.now();
    const first = await store.claim({ limit: 10, leaseMs: 1000, now: new Date(now) });
    expect(first).toHaveLength(1);
    // The first relay "crashed": it never completes. While its lease runs, nobody else claims.
    expect(await store.claim({ limit: 10, leaseMs: 1000, now: new Date(now + 999) })).toEqual([]);
    const second = await store.claim({ limit: 10, leaseMs: 1000, now: new Date(now + 1000) });
    expect(second.map((m) => [m.id, m.attempts])).toEqual([[first[0].id, 2]]);
    // The first claim is stale: completing with it does nothing.
    expect(await store.complete([first[0]], { keep: false, now: new Date() })).toBe(0);
    expect(await store.complete([second[0]], { keep: false, now: new Date() })).toBe(1);
  });

  it('keeps delivered messages for retention when asked, and purges them after', async () => {
    const store = new MemoryOutboxStore();
    const relay = new OutboxRelay(
      store,
      new Map([['N.notify', () => undefined]]),
      { ...options, keepDeliveredMs: 60_000 },
      quietLog(),
    );
    await enqueue(store, 'N.notify', 1);
    await relay.drain();
    expect(await store.list({ status: 'delivered', limit: 10 })).toHaveLength(1);
    expect(await store.purge(new Date(Date.now() - 60_000))).toBe(0);
    expect(await store.purge(new Date(Date.now() + 1))).toBe(1);
  });

  it('gives up on a handler that outlives its lease, so that the message is retried', async () => {
    const store = new MemoryOutboxStore();
    const relay = new OutboxRelay(
      store,
      new Map([['N.slow', () => new Promise(() => undefined)]]),
      { ...options, leaseMs: 100 },
      quietLog(),
    );
    await enqueue(store, 'N.slow', 1);
    expect(await relay.drain()).toMatchObject({ claimed: 1, retried: 1 });
    expect((await store.list({ status: 'pending', limit: 1 }))[0].lastError).toMatch(
      /ran longer than the lease/,
    );
  });

  it('runs once() work at most once per transition and handler', async () => {
    const store = new MemoryOutboxStore();
    let effects = 0;
    const work = () => Promise.resolve(++effects);
    expect(await store.once('t-1', 'N.notify', work)).toEqual({ done: true, value: 1 });
    expect(await store.once('t-1', 'N.notify', work)).toEqual({ done: false });
    expect(await store.once('t-1', 'Other.handler', work)).toEqual({ done: true, value: 2 });
    // Work that fails is not recorded: the next delivery runs it again.
    await expect(
      store.once('t-2', 'N.notify', () => Promise.reject(new Error('no'))),
    ).rejects.toThrow('no');
    expect(await store.once('t-2', 'N.notify', work)).toEqual({ done: true, value: 3 });
  });

  it('delivers in the background once started, sooner when nudged, and stops cleanly', async () => {
    const store = new MemoryOutboxStore();
    const seen: string[] = [];
    const relay = new OutboxRelay(
      store,
      new Map([['N.notify', (d: TransitionDelivery) => void seen.push(d.transitionId)]]),
      { ...options, pollIntervalMs: 60_000 },
      quietLog(),
    );
    relay.start();
    await new Promise((r) => setTimeout(r, 50)); // the first round found nothing
    await enqueue(store, 'N.notify', 7);
    relay.nudge();
    for (let i = 0; i < 100 && !seen.length; i++) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['t-7']);
    await relay.stop();
    await enqueue(store, 'N.notify', 8);
    relay.nudge();
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual(['t-7']);
  });

  it('waits 10 ms after a light flow, up to 50 ms after a heavy one (2 ms per message found)', () => {
    expect([0, 1, 5, 6, 13, 25, 40, 500].map(gatherAfter)).toEqual([
      10, 10, 10, 12, 26, 50, 50, 50,
    ]);
  });

  it('gathers a steady flow into full rounds: commits meanwhile do not bring a round forward', async () => {
    const store = new MemoryOutboxStore();
    const claims: number[] = [];
    const claim = store.claim.bind(store);
    store.claim = async (o) => {
      const claimed = await claim(o);
      if (claimed.length) claims.push(claimed.length);
      return claimed;
    };
    let delivered = 0;
    const relay = new OutboxRelay(
      store,
      new Map([
        [
          'N.notify',
          () => {
            delivered++;
          },
        ],
      ]),
      { ...options, batchSize: 50, pollIntervalMs: 60_000 },
      quietLog(),
    );
    relay.start();
    // About 1,000 messages a second for 0.6 s, each commit nudging the relay as the module does.
    // A relay that waited 10 ms per round (or let each commit bring its round forward) would
    // claim about 10 a round.
    let n = 0;
    const started = Date.now();
    while (Date.now() - started < 600) {
      await enqueue(store, 'N.notify', ++n, ++n);
      relay.nudge();
      await new Promise((r) => setTimeout(r, 2));
    }
    for (let i = 0; i < 100 && delivered < n; i++) await new Promise((r) => setTimeout(r, 20));
    await relay.stop();
    expect(delivered).toBe(n);
    const mean = claims.reduce((a, b) => a + b, 0) / claims.length;
    expect(mean).toBeGreaterThan(20);
  });
});
