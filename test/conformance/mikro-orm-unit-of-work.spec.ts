import { MikroORM } from '@mikro-orm/core';
import { MikroOrmTransitionStore } from '../../src/store/mikro-orm/index.js';
import { databases, DATABASE_NAMES } from '../support/databases.js';
import { freshPlace, type Place } from '../support/places.js';
import { conformanceTables } from '../support/store-tables.js';
import { mikroOrmOn, MikroTicketSchema, type MikroTicket } from './orm-sessions.js';
import { record } from './transition-store.conformance.js';

/**
 * MikroORM's unit of work beside the store: a managed entity refreshed after a transition, the
 * app's own transactions joined and rolled back with, what waits for the commit run after the
 * outermost one, on each database of the tier.
 */
for (const kind of databases()) {
  let made: Promise<Place> | undefined;
  const place = () => (made ??= freshPlace(kind, 'tg_mikro_uow', conformanceTables));
  afterAll(async () => {
    await (await made)?.drop();
  });
  const q = (name: string) => (kind === 'mysql' ? `\`${name}\`` : `"${name}"`);
  const storeOn = (orm: MikroORM) =>
    new MikroOrmTransitionStore<MikroTicket, { owner: string | null }>(orm.em, {
      entity: 'Ticket',
      stateProperty: 'state',
      versionProperty: 'version',
      log: true,
      context: (t) => ({ owner: t.owner }),
    });
  const open = async () => {
    const orm = await mikroOrmOn(await place());
    const connection = orm.em.getConnection();
    for (const t of ['conformance_tickets', 'transition_log'])
      await connection.execute(`DELETE FROM ${q(t)}`);
    return {
      orm,
      async insert(state: string) {
        const sql = `INSERT INTO ${q('conformance_tickets')} (${q('state_value')}, ${q('row_version')}) VALUES (?, 0)`;
        if (kind === 'mysql') {
          return String(
            ((await connection.execute(sql, [state], 'run')) as { insertId: number }).insertId,
          );
        }
        return String(
          ((await connection.execute(`${sql} RETURNING id`, [state])) as { id: number }[])[0].id,
        );
      },
      async log(id: string) {
        const rows = (await connection.execute(
          `SELECT ${q('event')}, ${q('version')} FROM ${q('transition_log')} WHERE ${q('resourceId')} = ? ORDER BY ${q('id')}`,
          [id],
        )) as { event: string; version: number | null }[];
        return rows.map((r) => ({
          event: r.event,
          version: r.version,
        }));
      },
      close: () => orm.close(true),
    };
  };
  const backend = { name: DATABASE_NAMES[kind] };
  describe(`MikroOrmTransitionStore and the unit of work, on ${backend.name}`, () => {
    it('refreshes a managed entity after its transition, so that a later flush neither reverts nor fails', async () => {
      const opened = await open();
      try {
        const id = await opened.insert('open');
        const em = opened.orm.em.fork();
        const managed = await em.findOneOrFail(MikroTicketSchema, { id: Number(id) });
        const store = storeOn(opened.orm);
        // The store runs on the context's EntityManager: here, the fork.
        const forked = new MikroOrmTransitionStore<MikroTicket>(em, {
          entity: 'Ticket',
          stateProperty: 'state',
          versionProperty: 'version',
        });
        expect(
          await forked.compareAndSet(
            id,
            { state: 'open', version: 0 },
            { state: 'assigned' },
            { record: record(id, 'ASSIGN', 1) },
          ),
        ).toEqual({ written: true, version: 1 });
        expect(managed).toMatchObject({ state: 'assigned', version: 1 });
        managed.owner = 'ann';
        await em.flush(); // a later unit-of-work write, on the refreshed entity
        expect(await store.load(id)).toMatchObject({
          state: 'assigned',
          context: { owner: 'ann' },
        });
      } finally {
        await opened.close();
      }
    });

    it("commits inside the app's own transaction, and rolls back with it", async () => {
      const opened = await open();
      try {
        const id = await opened.insert('open');
        const store = storeOn(opened.orm);
        await expect(
          opened.orm.em.transactional(async (em) => {
            await em
              .getConnection()
              .execute(
                `UPDATE ${q('conformance_tickets')} SET ${q('owner')} = 'handler' WHERE ${q('id')} = ?`,
                [Number(id)],
                'run',
                em.getTransactionContext(),
              );
            await store.compareAndSet(
              id,
              { state: 'open', version: 0 },
              { state: 'assigned' },
              { record: record(id, 'ASSIGN', 1) },
            );
            throw new Error('the handler failed after the commit call');
          }),
        ).rejects.toThrow('the handler failed');
        expect(await store.load(id)).toMatchObject({
          state: 'open',
          version: 0,
          context: { owner: null },
        });
        expect(await opened.log(id)).toEqual([]);
      } finally {
        await opened.close();
      }
    });

    it("runs what waits for the commit once the app's outermost transaction commits, never after a rollback", async () => {
      const opened = await open();
      try {
        const store = storeOn(opened.orm);
        expect(store.joinedTransaction()).toBeUndefined(); // outside a transaction: its own
        const ran: string[] = [];
        const wait = (label: string) => {
          const joined = store.joinedTransaction();
          if (!joined) throw new Error('not joined');
          joined.afterCommit(() => {
            ran.push(label);
            return Promise.resolve();
          });
        };
        await opened.orm.em.transactional(async (em) => {
          wait('outer');
          await em.transactional(() => {
            wait('nested');
            return Promise.resolve();
          });
          expect(ran).toEqual([]); // the nested one committed a savepoint only
        });
        expect(ran).toEqual(['outer', 'nested']);
        await expect(
          opened.orm.em.transactional(() => {
            wait('rolled back');
            return Promise.reject(new Error('rollback'));
          }),
        ).rejects.toThrow('rollback');
        await opened.orm.em.transactional(() => Promise.resolve()); // a later commit runs nothing
        expect(ran).toEqual(['outer', 'nested']);
      } finally {
        await opened.close();
      }
    });

    it('runs them after a nested transaction that rolled back, when its error is caught and the outer one commits (the edge the README names)', async () => {
      const opened = await open();
      try {
        const id = await opened.insert('open');
        const store = storeOn(opened.orm);
        const ran: string[] = [];
        await opened.orm.em.transactional(async (em) => {
          await em
            .transactional(async () => {
              await store.compareAndSet(
                id,
                { state: 'open', version: 0 },
                { state: 'assigned' },
                { record: record(id, 'ASSIGN', 1) },
              );
              store.joinedTransaction()?.afterCommit(() => {
                ran.push('in the rolled-back savepoint');
                return Promise.resolve();
              });
              throw new Error('the nested work failed');
            })
            .catch(() => undefined); // caught: the outer transaction goes on and commits
        });
        // The savepoint's write is gone, as it should be...
        expect(await store.load(id)).toMatchObject({ state: 'open', version: 0 });
        // ...but MikroORM reports no savepoint rollback: what waited for the commit still ran.
        expect(ran).toEqual(['in the rolled-back savepoint']);
      } finally {
        await opened.close();
      }
    });
  });
}
