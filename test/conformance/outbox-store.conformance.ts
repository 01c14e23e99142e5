import { TransitionInbox, transitionEnvelope, type TransitionDelivery } from '../../src/index.js';
import { OutboxRelay } from '../../src/store/index.js';
import {
  type NewOutboxMessage,
  type OutboxStore,
  type TransitionRecord,
  type TransitionStore,
} from '../../src/store/index.js';

/**
 * What every outbox store must do, on every database it supports: messages written in the
 * transition's own transaction (none when it rolls back), a refusal outside such a transaction,
 * delivery with retries, dead letters, redrive and purge through the relay, `once()`
 * exactly-once with its record in the same transaction, and two relays (two connections, as two
 * processes) never holding one message at once.
 */
export interface OpenedOutbox {
  readonly outbox: OutboxStore;
  /** A transition store (with its log) on the same database: table `parcels`, state `ready`. */
  readonly parcels: TransitionStore;
  insertParcel(): Promise<string>;
  messageCount(): Promise<number>;
  /** A `once()` work's write through its transaction handle: a row in `mails`. */
  writeMail(tx: unknown, transitionId: string): Promise<void>;
  mailCount(transitionId: string): Promise<number>;
  /** Enqueues in one transaction of the store's ORM (as commits do). */
  enqueueInTransaction(messages: NewOutboxMessage[]): Promise<void>;
  /** Runs `work` in a transaction of the store's ORM, as a consumer's unit of work would. */
  inTransaction<T>(work: (tx: unknown) => Promise<T>): Promise<T>;
  /** The same store on another connection, as another process would have it. */
  another(): Promise<{ outbox: OutboxStore; close(): Promise<void> }>;
  /** What `enqueue()` outside a transaction of its ORM says. */
  readonly refusal: RegExp;
  /** A database server with row locks (`FOR UPDATE SKIP LOCKED`): relays work at once. */
  readonly rowLocks: boolean;
  /** Whether `parcels` writes this outbox's messages itself (`writesMessages`). */
  readonly storeWritesMessages: boolean;
  close(): Promise<void>;
}

export const outboxRecord = (id: string, n: number): TransitionRecord => ({
  transitionId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  resource: 'parcel',
  resourceId: id,
  event: 'SEND',
  from: 'ready',
  to: 'sent',
  version: 1,
  actor: null,
  at: new Date(0),
  reason: null,
  comment: null,
  metadata: null,
  machineVersion: 'abc',
  correlationId: null,
});

const relayOptions = {
  batchSize: 50,
  pollIntervalMs: 20,
  leaseMs: 10_000,
  maxAttempts: 3,
  backoff: { baseMs: 1, maxMs: 1 },
  keepDeliveredMs: 0,
};
const quiet = { warn: () => undefined, error: () => undefined };

/**
 * `storeWritesMessages`: whether the opened transition store writes this outbox store's messages
 * itself (known before opening: it decides which tests exist).
 */
export function describeOutboxStore(
  name: string,
  open: () => Promise<OpenedOutbox>,
  storeWritesMessages = false,
) {
  describe(name, () => {
    let o: OpenedOutbox;
    let parcelId = '';
    beforeEach(async () => {
      o = await open();
      parcelId = await o.insertParcel();
    });
    afterEach(async () => {
      await o.close();
    });

    const send = (n: number, beforeCommit?: (tx: unknown) => Promise<void>) =>
      o.parcels.compareAndSet(
        parcelId,
        { state: 'ready', version: 0 },
        { state: 'sent' },
        {
          record: outboxRecord(parcelId, n),
          beforeCommit: async (tx) => {
            await o.outbox.enqueue(tx, [
              { handler: 'Mailer.sent', record: outboxRecord(parcelId, n), payload: { n } },
            ]);
            await beforeCommit?.(tx);
          },
        },
      );

    it('writes messages in the transition transaction: none when it rolls back', async () => {
      await expect(
        send(1, () => Promise.reject(new Error('a later write failed'))),
      ).rejects.toThrow('a later write failed');
      expect(await o.messageCount()).toBe(0);
      expect(await o.parcels.load(parcelId)).toMatchObject({ state: 'ready', version: 0 });
      expect(await send(2)).toEqual({ written: true, version: 1 });
      const [message] = await o.outbox.list({ status: 'pending', limit: 10 });
      expect(message).toMatchObject({
        handler: 'Mailer.sent',
        payload: { n: 2 },
        attempts: 0,
        status: 'pending',
        record: {
          transitionId: outboxRecord(parcelId, 2).transitionId,
          at: new Date(0),
          to: 'sent',
        },
      });
      // A write whose compare-and-set does not match writes no message either.
      expect(await send(3)).toEqual({ written: false });
      expect(await o.messageCount()).toBe(1);
    });

    it('tells whether its transition store writes its messages itself (writesMessages)', () => {
      expect(o.parcels.writesMessages?.(o.outbox) ?? false).toBe(o.storeWritesMessages);
    });

    // Only where the store does: elsewhere the messages come through beforeCommit (tested above).
    const whereStoreWrites = storeWritesMessages ? it : () => undefined;
    whereStoreWrites(
      'lets a transition store that accepts its messages write them with the change: none on a miss or a rollback',
      async () => {
        const write = (n: number, beforeCommit?: () => Promise<void>) =>
          o.parcels.compareAndSet(
            parcelId,
            { state: 'ready', version: 0 },
            { state: 'sent' },
            {
              record: outboxRecord(parcelId, n),
              messages: [
                { handler: 'Mailer.sent', record: outboxRecord(parcelId, n), payload: { n } },
                { handler: 'Audit.sent', record: outboxRecord(parcelId, n), payload: { n } },
              ],
              beforeCommit,
            },
          );
        await expect(
          write(1, () => Promise.reject(new Error('a later write failed'))),
        ).rejects.toThrow('a later write failed');
        expect(await o.messageCount()).toBe(0);
        expect(await write(2)).toEqual({ written: true, version: 1 });
        const sent = await o.outbox.list({ status: 'pending', limit: 10 });
        // One message per handler (in no particular order: PostgreSQL runs the CTEs as it likes).
        const rows = sent
          .sort((a, b) => b.handler.localeCompare(a.handler))
          .map((m) => [m.handler, m.payload, m.record.transitionId]);
        expect(rows).toEqual([
          ['Mailer.sent', { n: 2 }, outboxRecord(parcelId, 2).transitionId],
          ['Audit.sent', { n: 2 }, outboxRecord(parcelId, 2).transitionId],
        ]);
        expect(await write(3)).toEqual({ written: false });
        expect(await o.messageCount()).toBe(2);
      },
    );

    it('refuses to enqueue outside a transaction of its own ORM, naming the fix', async () => {
      await expect(
        o.outbox.enqueue(undefined, [
          { handler: 'h', record: outboxRecord(parcelId, 1), payload: {} },
        ]),
      ).rejects.toThrow(o.refusal);
    });

    it('delivers, retries, parks as dead, redrives and purges through the relay', async () => {
      await send(1);
      let fail = true;
      const relay = new OutboxRelay(
        o.outbox,
        new Map([
          [
            'Mailer.sent',
            () => {
              if (fail) throw new Error('SMTP 451');
            },
          ],
        ]),
        relayOptions,
        quiet,
      );
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 5)); // past the 1 ms backoff
        await relay.drain();
      }
      const [dead] = await o.outbox.list({ status: 'dead', limit: 10 });
      expect(dead).toMatchObject({ attempts: 3, lastError: 'Error: SMTP 451', status: 'dead' });
      expect(await o.outbox.redrive(dead.id, new Date())).toBe(true);
      expect(await o.outbox.redrive('not-an-id', new Date())).toBe(false);
      fail = false;
      // Delivered and kept for a retention period, then purged.
      const keeping = new OutboxRelay(
        o.outbox,
        new Map([['Mailer.sent', () => undefined]]),
        { ...relayOptions, keepDeliveredMs: 60_000 },
        quiet,
      );
      expect(await keeping.drain()).toMatchObject({ delivered: 1 });
      expect(await o.outbox.list({ status: 'delivered', limit: 10 })).toHaveLength(1);
      expect(await o.outbox.purge(new Date(Date.now() - 60_000))).toBe(0);
      expect(await o.outbox.purge(new Date(Date.now() + 1))).toBe(1);
      expect(await o.messageCount()).toBe(0);
    });

    it('makes once() work exactly-once with the record in the same transaction', async () => {
      const work = (tx: unknown) => o.writeMail(tx, 't-1');
      expect(await o.outbox.once('t-1', 'Mailer.sent', work)).toMatchObject({ done: true });
      expect(await o.outbox.once('t-1', 'Mailer.sent', work)).toEqual({ done: false });
      expect(await o.mailCount('t-1')).toBe(1);
      // Work that fails rolls back its writes and the record: the next delivery does it.
      await expect(
        o.outbox.once('t-2', 'Mailer.sent', async (tx) => {
          await o.writeMail(tx, 't-2');
          throw new Error('half done');
        }),
      ).rejects.toThrow('half done');
      expect(await o.mailCount('t-2')).toBe(0);
      expect(
        await o.outbox.once('t-2', 'Mailer.sent', (tx) => o.writeMail(tx, 't-2')),
      ).toMatchObject({ done: true });
      expect(await o.mailCount('t-2')).toBe(1);
    });

    it("makes a consumer's TransitionInbox take each message once, racing on two connections", async () => {
      const other = await o.another();
      try {
        const message = transitionEnvelope({ record: outboxRecord(parcelId, 7), payload: {} });
        const work = (tx: unknown) => o.writeMail(tx, message.id);
        const warehouse = [o.outbox, other.outbox].map((s) => new TransitionInbox(s, 'warehouse'));
        // The same message delivered twice at once (two consumer processes): one write.
        const both = await Promise.allSettled(
          warehouse.map((inbox) => inbox.receive(message, work)),
        );
        const done = both.filter((r) => r.status === 'fulfilled' && r.value.done);
        expect(done).toHaveLength(1);
        expect(await o.mailCount(message.id)).toBe(1);
        // Redelivered later: skipped. Another consumer of the same message: its own record.
        expect(await warehouse[1].receive(message, work)).toEqual({ done: false });
        const billing = new TransitionInbox(o.outbox, 'billing');
        expect(await billing.receive(message, work)).toMatchObject({ done: true });
        expect(await o.mailCount(message.id)).toBe(2);
        // Not an envelope: refused before any write, naming what is missing.
        await expect(warehouse[0].receive({ id: message.id }, work)).rejects.toThrow(
          /not a transition envelope \(specversion is not '1.0'; source is not a string/,
        );
      } finally {
        await other.close();
      }
    });

    it("records a consumer's message inside the consumer's own transaction (receiveIn)", async () => {
      const message = transitionEnvelope({ record: outboxRecord(parcelId, 8), payload: {} });
      const inbox = new TransitionInbox(o.outbox, 'ledger');
      // The unit of work fails after the inbox's record: both roll back, nothing is kept.
      await expect(
        o.inTransaction(async (tx) => {
          await inbox.receiveIn(tx, message, () => o.writeMail(tx, message.id));
          throw new Error('the ledger refused the entry');
        }),
      ).rejects.toThrow('the ledger refused the entry');
      expect(await o.mailCount(message.id)).toBe(0);
      // Delivered again: processed, once.
      const run = () =>
        o.inTransaction((tx) => inbox.receiveIn(tx, message, () => o.writeMail(tx, message.id)));
      expect(await run()).toMatchObject({ done: true });
      expect(await run()).toEqual({ done: false });
      expect(await o.mailCount(message.id)).toBe(1);
      await expect(inbox.receiveIn(undefined, message, () => Promise.resolve())).rejects.toThrow(
        /markHandled\(\) needs a transaction of its own ORM/,
      );
    });

    it("holds a resource's later messages behind a failing one until it is dead, and only that resource's", async () => {
      // p0: versions 1 to 3, version 1 always fails; p1: versions 1 and 2, delivered.
      await o.enqueueInTransaction(
        [
          ['p0', 1],
          ['p1', 1],
          ['p0', 2],
          ['p1', 2],
          ['p0', 3],
        ].map(([parcel, version], i) => ({
          handler: 'Mailer.sent',
          record: { ...outboxRecord(parcel as string, i), version: version as number },
          payload: {},
        })),
      );
      const delivered: string[] = [];
      const relay = new OutboxRelay(
        o.outbox,
        new Map([
          [
            'Mailer.sent',
            (d: TransitionDelivery) => {
              if (d.record.resourceId === 'p0' && d.record.version === 1) {
                throw new Error('the warehouse refuses parcel p0');
              }
              delivered.push(`${d.record.resourceId}@${d.record.version}`);
            },
          ],
        ]),
        { ...relayOptions, maxAttempts: 2, backoff: { baseMs: 0, maxMs: 0 } },
        quiet,
      );
      // First attempt: p0@1 fails; p0's later messages wait, p1's first goes.
      await relay.round();
      expect(delivered).toEqual(['p1@1']);
      const p0 = (await o.outbox.list({ status: 'pending', limit: 10 }))
        .filter((m) => m.record.resourceId === 'p0')
        .map((m) => [m.record.version, m.attempts])
        .sort(([a], [b]) => (a ?? 0) - (b ?? 0));
      expect(p0).toEqual([
        [1, 1],
        [2, 0],
        [3, 0],
      ]);
      // Its second attempt fails too: dead, it no longer holds back p0@2 and p0@3.
      await relay.drain();
      expect(delivered).toEqual(['p1@1', 'p1@2', 'p0@2', 'p0@3']);
      const dead = await o.outbox.list({ status: 'dead', limit: 10 });
      expect(dead.map((m) => [m.record.resourceId, m.record.version, m.attempts])).toEqual([
        ['p0', 1, 2],
      ]);
    });

    it('lets commits write messages while a relay on another connection claims: none fails, none lost', async () => {
      const other = await o.another();
      try {
        const ids = await Promise.all(Array.from({ length: 40 }, () => o.insertParcel()));
        let delivered = 0;
        const relay = new OutboxRelay(
          other.outbox,
          new Map([
            [
              'Mailer.sent',
              () => {
                delivered++;
              },
            ],
          ]),
          relayOptions,
          quiet,
        );
        let writing = true;
        const relaying = (async () => {
          while (writing) {
            await relay.drain();
            await new Promise((r) => setTimeout(r, 1));
          }
        })();
        // All at once, as concurrent requests would commit (MySQL: a claim reading through a
        // secondary index held next-key locks where these messages go, and commits failed).
        const commits = await Promise.allSettled(
          ids.map((id, n) =>
            o.parcels.compareAndSet(
              id,
              { state: 'ready', version: 0 },
              { state: 'sent' },
              {
                record: outboxRecord(id, n),
                beforeCommit: (tx) =>
                  o.outbox.enqueue(tx, [
                    { handler: 'Mailer.sent', record: outboxRecord(id, n), payload: { n } },
                  ]),
              },
            ),
          ),
        );
        writing = false;
        await relaying;
        await relay.drain();
        expect(commits.filter((c) => c.status === 'rejected')).toEqual([]);
        expect(delivered).toBe(ids.length);
        expect(await o.messageCount()).toBe(0);
      } finally {
        await other.close();
      }
    });

    it('never hands one message to two relays at once, and keeps each resource in order (two connections, as two processes)', async () => {
      const other = await o.another();
      try {
        // 60 parcels, 5 transitions each, enqueued in commit order.
        const n = 300;
        await o.enqueueInTransaction(
          Array.from({ length: n }, (_, i) => ({
            handler: 'Mailer.sent',
            record: { ...outboxRecord(`p${i % 60}`, i), version: Math.floor(i / 60) + 1 },
            payload: {},
          })),
        );
        const seen = new Map<string, number>();
        const versions = new Map<string, number[]>();
        // With row locks, the first relay's deliveries wait until the second relay has delivered
        // one: the first holds its claimed batch meanwhile, so the second can only be working on
        // other messages, at the same time (a drain that starts late could otherwise find every
        // due message behind the first relay's claim and stop at once).
        let secondDelivered!: () => void;
        const second = new Promise<void>((resolve) => (secondDelivered = resolve));
        const waited = Promise.race([second, new Promise((r) => setTimeout(r, 10_000).unref())]);
        const gate = (relay: number) => (relay === 0 && o.rowLocks ? waited : undefined);
        const handler = async (d: TransitionDelivery, relay: number) => {
          await gate(relay);
          const version = d.record.version ?? 0;
          // Earlier versions take longer, and each parcel's version 3 fails once: a relay free
          // to take a parcel's later messages meanwhile would deliver them first.
          await new Promise((r) => setTimeout(r, 6 - version));
          if (version === 3 && d.attempt === 1) throw new Error('the broker hiccuped');
          seen.set(d.transitionId, (seen.get(d.transitionId) ?? 0) + 1);
          if (relay === 1) secondDelivered();
          const parcel = versions.get(d.record.resourceId) ?? [];
          versions.set(d.record.resourceId, [...parcel, version]);
        };
        const relays = [o.outbox, other.outbox].map(
          (store, relay) =>
            new OutboxRelay(
              store,
              new Map([['Mailer.sent', (d: TransitionDelivery) => handler(d, relay)]]),
              { ...relayOptions, batchSize: 40, backoff: { baseMs: 0, maxMs: 0 } },
              quiet,
            ),
        );
        const rounds = await Promise.all(relays.map((r) => r.drain()));
        expect(rounds[0].delivered + rounds[1].delivered).toBe(n);
        if (o.rowLocks) {
          // Both worked at once (SKIP LOCKED), each message once.
          expect(Math.min(rounds[0].delivered, rounds[1].delivered)).toBeGreaterThan(0);
        }
        expect(seen.size).toBe(n);
        expect([...seen.values()].every((c) => c === 1)).toBe(true);
        const expected = [1, 2, 3, 4, 5];
        expect(versions.size).toBe(60);
        for (const delivered of versions.values()) expect(delivered).toEqual(expected);
      } finally {
        await other.close();
      }
    });
  });
}
