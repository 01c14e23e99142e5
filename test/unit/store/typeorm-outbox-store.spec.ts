import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Column, DataSource, Entity, PrimaryGeneratedColumn, type EntityManager } from 'typeorm';
import { OutboxRelay, type TransitionDelivery, type TransitionRecord } from '../../../src/index.js';
import {
  HandledTransitionEntry,
  TransitionLogEntry,
  TransitionOutboxEntry,
  TypeOrmOutboxStore,
  TypeOrmTransitionStore,
} from '../../../src/store/typeorm/index.js';
import { freshDatabase } from '../../support/pg-database.js';

@Entity({ name: 'parcels' })
class Parcel {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'varchar', length: 20 }) state!: string;
  @Column({ type: 'integer' }) version!: number;
}

@Entity({ name: 'mails' })
class Mail {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'varchar', length: 36 }) transitionId!: string;
}

const entities = [Parcel, Mail, TransitionLogEntry, TransitionOutboxEntry, HandledTransitionEntry];

const record = (id: string, n: number): TransitionRecord => ({
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

type Backend = { name: string; open: () => Promise<DataSource>; close: () => Promise<void> };

const sqlite = (): Backend => {
  let dir = '';
  return {
    name: 'SQLite',
    open: async () => {
      dir ||= mkdtempSync(join(tmpdir(), 'tg-outbox-'));
      const ds = new DataSource({
        type: 'better-sqlite3',
        database: join(dir, 'db.sqlite'),
        entities,
        synchronize: true,
      });
      return ds.initialize();
    },
    close: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
};

const postgres = (): Backend => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  return {
    name: 'PostgreSQL',
    open: async () => {
      db ??= await freshDatabase('tg_outbox_store');
      if (!db) throw new Error('no PostgreSQL');
      const ds = new DataSource({ type: 'postgres', url: db.url, entities, synchronize: true });
      return ds.initialize();
    },
    close: async () => {
      await db?.stop();
    },
  };
};

const backends = [sqlite(), ...(process.env.TG_POSTGRES_URL ? [postgres()] : [])];
if (!process.env.TG_POSTGRES_URL) {
  console.warn('TypeOrmOutboxStore on PostgreSQL skipped: TG_POSTGRES_URL is unset');
}

describe.each(backends)('TypeOrmOutboxStore on $name', (backend) => {
  let ds: DataSource;
  let outbox: TypeOrmOutboxStore;
  let parcels: TypeOrmTransitionStore<Parcel>;
  let parcelId = '';
  beforeAll(async () => {
    ds = await backend.open();
  });
  afterAll(async () => {
    await ds.destroy();
    await backend.close();
  });
  beforeEach(async () => {
    for (const e of entities) await ds.getRepository(e).clear();
    outbox = new TypeOrmOutboxStore(ds);
    outbox.verify();
    parcels = new TypeOrmTransitionStore(ds, {
      entity: Parcel,
      stateProperty: 'state',
      versionProperty: 'version',
      log: true,
    });
    const inserted = await ds.getRepository(Parcel).insert({ state: 'ready', version: 0 });
    parcelId = String((inserted.identifiers[0] as { id: number }).id);
  });

  const send = (n: number, beforeCommit?: (tx: unknown) => Promise<void>) =>
    parcels.compareAndSet(
      parcelId,
      { state: 'ready', version: 0 },
      { state: 'sent' },
      {
        record: record('1', n),
        beforeCommit: async (tx) => {
          await outbox.enqueue(tx, [
            { handler: 'Mailer.sent', record: record('1', n), payload: { n } },
          ]);
          await beforeCommit?.(tx);
        },
      },
    );

  it('writes messages in the transition transaction: none when it rolls back', async () => {
    await expect(send(1, () => Promise.reject(new Error('a later write failed')))).rejects.toThrow(
      'a later write failed',
    );
    expect(await ds.getRepository(TransitionOutboxEntry).count()).toBe(0);
    expect(await parcels.load(parcelId)).toMatchObject({ state: 'ready', version: 0 });
    expect(await send(2)).toEqual({ written: true });
    const [message] = await outbox.list({ status: 'pending', limit: 10 });
    expect(message).toMatchObject({
      handler: 'Mailer.sent',
      payload: { n: 2 },
      attempts: 0,
      record: { transitionId: record('1', 2).transitionId, at: new Date(0), to: 'sent' },
    });
    // A write whose compare-and-set does not match writes no message either.
    expect(await send(3)).toEqual({ written: false });
    expect(await ds.getRepository(TransitionOutboxEntry).count()).toBe(1);
  });

  it('refuses to enqueue outside a transaction of its DataSource, naming the fix', async () => {
    await expect(
      outbox.enqueue(undefined, [{ handler: 'h', record: record('1', 1), payload: {} }]),
    ).rejects.toThrow(/needs the transaction of a TypeOrmTransitionStore on the same DataSource/);
  });

  it('delivers, retries, parks as dead, redrives and purges through the relay', async () => {
    await send(1);
    let fail = true;
    const relay = new OutboxRelay(
      outbox,
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
    const [dead] = await outbox.list({ status: 'dead', limit: 10 });
    expect(dead).toMatchObject({ attempts: 3, lastError: 'Error: SMTP 451', status: 'dead' });
    expect(await outbox.redrive(dead.id, new Date())).toBe(true);
    expect(await outbox.redrive('not-an-id', new Date())).toBe(false);
    fail = false;
    // Delivered and kept for a retention period, then purged.
    const keeping = new OutboxRelay(
      outbox,
      new Map([['Mailer.sent', () => undefined]]),
      { ...relayOptions, keepDeliveredMs: 60_000 },
      quiet,
    );
    expect(await keeping.drain()).toMatchObject({ delivered: 1 });
    expect(await outbox.list({ status: 'delivered', limit: 10 })).toHaveLength(1);
    expect(await outbox.purge(new Date(Date.now() - 60_000))).toBe(0);
    expect(await outbox.purge(new Date(Date.now() + 1))).toBe(1);
    expect(await ds.getRepository(TransitionOutboxEntry).count()).toBe(0);
  });

  it('makes once() work exactly-once with the record in the same transaction', async () => {
    const mails = ds.getRepository(Mail);
    const work = (tx: unknown) => (tx as EntityManager).insert(Mail, { transitionId: 't-1' });
    expect(await outbox.once('t-1', 'Mailer.sent', work)).toMatchObject({ done: true });
    expect(await outbox.once('t-1', 'Mailer.sent', work)).toEqual({ done: false });
    expect(await mails.count()).toBe(1);
    // Work that fails rolls back its writes and the record: the next delivery does it.
    await expect(
      outbox.once('t-2', 'Mailer.sent', async (tx) => {
        await (tx as EntityManager).insert(Mail, { transitionId: 't-2' });
        throw new Error('half done');
      }),
    ).rejects.toThrow('half done');
    expect(await mails.countBy({ transitionId: 't-2' })).toBe(0);
    expect(await outbox.once('t-2', 'Mailer.sent', work)).toMatchObject({ done: true });
  });

  it('never hands one message to two relays at once (two DataSources, as two processes)', async () => {
    const other = await backend.open();
    try {
      const n = 300;
      await ds.transaction(async (tx) => {
        for (let i = 0; i < n; i += 50) {
          await outbox.enqueue(
            tx,
            Array.from({ length: 50 }, (_, j) => ({
              handler: 'Mailer.sent',
              record: record('1', i + j),
              payload: {},
            })),
          );
        }
      });
      const seen = new Map<string, number>();
      const handler = async (d: TransitionDelivery) => {
        seen.set(d.transitionId, (seen.get(d.transitionId) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 1));
      };
      const relays = [ds, other].map(
        (source) =>
          new OutboxRelay(
            new TypeOrmOutboxStore(source),
            new Map([['Mailer.sent', handler]]),
            { ...relayOptions, batchSize: 7 },
            quiet,
          ),
      );
      const rounds = await Promise.all(relays.map((r) => r.drain()));
      expect(rounds[0].delivered + rounds[1].delivered).toBe(n);
      if (backend.name === 'PostgreSQL') {
        // Both worked at once (SKIP LOCKED), each message once.
        expect(Math.min(rounds[0].delivered, rounds[1].delivered)).toBeGreaterThan(0);
      }
      expect(seen.size).toBe(n);
      expect([...seen.values()].every((c) => c === 1)).toBe(true);
    } finally {
      await other.destroy();
    }
  });
});
