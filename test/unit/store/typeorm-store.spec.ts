import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { encodeState, StoreUnavailableError } from '../../../src/store/index.js';
import { TransitionLogEntry, TypeOrmTransitionStore } from '../../../src/store/typeorm/index.js';

@Entity({ name: 'tickets' })
class Ticket {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'varchar', length: 200, name: 'state_value' }) state!: string;
  @Column({ type: 'integer', name: 'row_version' }) version!: number;
  @Column({ type: 'varchar', length: 50, nullable: true }) owner!: string | null;
}

const record = (from: unknown, to: unknown, version: number) => ({
  resource: 'ticket',
  resourceId: '1',
  event: 'GO',
  from: from as string,
  to: to as string,
  version,
  actor: null,
  at: new Date(0),
  transitionId: '00000000-0000-4000-8000-000000000001',
  reason: null,
  comment: null,
  metadata: null,
  machineVersion: 'abc',
  correlationId: null,
});

describe('TypeOrmTransitionStore on a SQLite file', () => {
  let dir: string;
  let ds: DataSource;
  let store: TypeOrmTransitionStore<Ticket, { owner: string | null }>;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-store-'));
    ds = new DataSource({
      type: 'better-sqlite3',
      database: join(dir, 'db.sqlite'),
      entities: [Ticket, TransitionLogEntry],
      synchronize: true,
    });
    await ds.initialize();
    store = new TypeOrmTransitionStore(ds, {
      entity: Ticket,
      stateProperty: 'state',
      versionProperty: 'version',
      log: true,
      context: (t) => ({ owner: t.owner }),
    });
    // Parallel values are stored as JSON with sorted keys, as the store writes them.
    await ds
      .getRepository(Ticket)
      .insert({ state: encodeState({ status: 'open', sla: 'running' }), version: 0, owner: null });
  });
  afterEach(async () => {
    if (ds.isInitialized) await ds.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads only the id, state, version and contextProperties when the store names them', async () => {
    const narrow = new TypeOrmTransitionStore<Ticket, { read: string[] }>(ds, {
      entity: Ticket,
      stateProperty: 'state',
      versionProperty: 'version',
      contextProperties: ['version'],
      // What the row a load built holds: the owner column was not selected.
      context: (t) => ({ read: Object.keys(t).sort() }),
    });
    expect((await narrow.load('1'))?.context).toEqual({ read: ['id', 'state', 'version'] });
    expect((await store.load('1'))?.context).toEqual({ owner: null });
  });

  it('loads parallel state values stored as JSON, with version and context', async () => {
    expect(await store.load('1')).toEqual({
      state: { status: 'open', sla: 'running' },
      context: { owner: null },
      version: 0,
    });
    expect(await store.load('2')).toBeNull();
  });

  it('writes only when state and version match, increments the version, logs in the same transaction', async () => {
    const from = { sla: 'running', status: 'open' }; // key order differs from the stored JSON: still equal
    const to = { status: 'closed', sla: 'running' };
    expect(
      await store.compareAndSet(
        '1',
        { state: from, version: 0 },
        { state: to, changes: { owner: 'ann' } },
        { record: record(from, to, 1) },
      ),
    ).toEqual({ written: true, version: 1 });
    expect(
      await store.compareAndSet(
        '1',
        { state: from, version: 0 },
        { state: to },
        { record: record(from, to, 1) },
      ),
    ).toEqual({ written: false });
    expect(
      await store.compareAndSet(
        '1',
        { state: to, version: 0 },
        { state: from },
        { record: record(to, from, 1) },
      ),
    ).toEqual({ written: false });
    expect(await store.load('1')).toEqual({ state: to, context: { owner: 'ann' }, version: 1 });
    const log = (await store.history('ticket', '1', { limit: 10 })).entries;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      event: 'GO',
      version: 1,
      to: { sla: 'running', status: 'closed' },
    });
  });

  it('rolls back the state change and the log when beforeCommit throws', async () => {
    const s = { status: 'open', sla: 'running' };
    await expect(
      store.compareAndSet(
        '1',
        { state: s, version: 0 },
        { state: 'x' },
        {
          record: record(s, 'x', 1),
          beforeCommit: async (tx) => {
            expect(tx).toBeDefined();
            throw new Error('refused');
          },
        },
      ),
    ).rejects.toThrow('refused');
    expect(await store.load('1')).toMatchObject({ state: s, version: 0 });
    expect((await store.history('ticket', '1', { limit: 10 })).entries).toEqual([]);
  });

  it('refuses changes to the state, version or id columns', async () => {
    for (const changes of [{ state: 'x' }, { version: 3 }, { id: 9 }]) {
      await expect(
        store.compareAndSet(
          '1',
          { state: 'a' },
          { state: 'b', changes: changes },
          { record: record('a', 'b', 1) },
        ),
      ).rejects.toThrow(/may not set/);
    }
  });

  it('returns the row as written (RETURNING), columns mapped to properties', async () => {
    const s = { status: 'open', sla: 'running' };
    expect(
      await store.compareAndSet(
        '1',
        { state: s, version: 0 },
        { state: 'done', changes: { owner: 'bo' } },
        { record: record(s, 'done', 1), returning: true },
      ),
    ).toEqual({
      written: true,
      version: 1,
      row: { id: 1, state: 'done', version: 1, owner: 'bo' },
    });
  });

  it('commits under a lock: decides from the locked row, writes, logs; a refusal rolls back', async () => {
    const s = { status: 'open', sla: 'running' };
    const seen: unknown[] = [];
    const result = await store.commitLocked(
      '1',
      (current) => {
        seen.push(current);
        return { state: 'locked', changes: { owner: 'cy' }, record: record(s, 'locked', 1) };
      },
      { returning: true },
    );
    expect(seen).toEqual([{ state: s, context: { owner: null }, version: 0 }]);
    expect(result).toEqual({ row: { id: 1, state: 'locked', version: 1, owner: 'cy' } });
    expect((await store.history('ticket', '1', { limit: 10 })).entries).toHaveLength(1);
    await expect(
      store.commitLocked(
        '1',
        () => {
          throw new Error('no longer legal');
        },
        {},
      ),
    ).rejects.toThrow('no longer legal');
    expect(await store.load('1')).toMatchObject({ state: 'locked', version: 1 });
    expect(
      await store.commitLocked('99', () => ({ state: 'x', record: record(s, 'x', 1) }), {}),
    ).toBeNull();
  });

  it('queues concurrent locked commits: each sees the row the previous one wrote', async () => {
    const s = { status: 'open', sla: 'running' };
    const owners = await Promise.all(
      Array.from({ length: 20 }, () =>
        store.commitLocked(
          '1',
          (current) => ({
            state: current.state,
            changes: { owner: `${current.version ?? 0}` },
            record: record(s, s, (current.version ?? 0) + 1),
          }),
          { returning: true },
        ),
      ),
    );
    expect(
      owners.map((o) => (o?.row as { owner: string }).owner).sort((a, b) => Number(a) - Number(b)),
    ).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(await store.load('1')).toMatchObject({ version: 20 });
  });

  it('reports an unreachable database as StoreUnavailableError', async () => {
    await ds.destroy();
    await expect(store.load('1')).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
