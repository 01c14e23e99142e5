import {
  MemoryIdempotencyStore,
  MemoryTimerStore,
  MemoryTransitionStore,
} from '../../src/index.js';
import { PgBoss } from 'pg-boss';
import {
  machineTriggerStatements,
  PgBossTimerStore,
  type NewOutboxMessage,
  type SqlTimerStore,
} from '../../src/store/index.js';
import { rawSql } from '../support/raw-sql.js';
import { databases, DATABASE_NAMES, type Database } from '../support/databases.js';
import { freshPlace, type Place } from '../support/places.js';
import { conformanceTables } from '../support/store-tables.js';
import { describeIdempotencyStore } from './idempotency-store.conformance.js';
import { describeOutboxStore, type OpenedOutbox } from './outbox-store.conformance.js';
import { emptyTables, openSession, ORMS, type Orm, type OrmSession } from './orm-sessions.js';
import { describeTransitionStore, type OpenedStore } from './transition-store.conformance.js';
import { describeTimerStore } from './timer-store.conformance.js';

/**
 * Every store the package ships runs the same conformance suites: the memory stores, and each
 * ORM's transition, idempotency and outbox stores on each database of the tier (SQLite in
 * `npm test`; SQLite, PostgreSQL and MariaDB in `npm run test:all`), one database per tier's
 * server, its tables emptied before each test. A new store is added to `orm-sessions.ts`.
 */

// ---- memory --------------------------------------------------------------------------------

let memoryIds = 0;
describeTransitionStore({
  name: 'MemoryTransitionStore',
  open: () => {
    const store = new MemoryTransitionStore<{ owner: string | null }>();
    return Promise.resolve({
      store,
      insert: (state) => {
        const id = String(++memoryIds);
        store.insert(id, { state, context: { owner: null } });
        return Promise.resolve(id);
      },
      log: (id) =>
        Promise.resolve(
          store.log
            .filter((r) => r.resourceId === id)
            .map((r) => ({ event: r.event, version: r.version ?? null })),
        ),
      close: () => Promise.resolve(),
    });
  },
});

describeIdempotencyStore({
  name: 'MemoryIdempotencyStore',
  open: () =>
    Promise.resolve({ store: new MemoryIdempotencyStore(), close: () => Promise.resolve() }),
});

describeTimerStore('MemoryTimerStore', () =>
  Promise.resolve({ timers: new MemoryTimerStore(), close: () => Promise.resolve() }),
);

// ---- every ORM on every database ------------------------------------------------------------

/** pg-boss supervising every second: a lapsed claim (1 s leases here) is retried soon. */
const BOSS = { schedule: false, superviseIntervalSeconds: 1, monitorIntervalSeconds: 1 } as const;
let pgBossQueues = 0;
/**
 * pg-boss emits its pool's errors: the other suites here cut every connection to the database
 * (a server down), its idle ones included. It reconnects; the tests see what its calls answer.
 */
const quiet = (boss: PgBoss) => boss.on('error', () => undefined);
const bosses = new Map<string, Promise<PgBoss>>();
/** One started pg-boss per database, stopped after the suites. */
const startedBoss = (url: string) => {
  let boss = bosses.get(url);
  if (!boss) {
    boss = quiet(new PgBoss({ connectionString: url, ...BOSS })).start();
    bosses.set(url, boss);
  }
  return boss;
};
afterAll(async () => {
  for (const boss of bosses.values()) await (await boss).stop({ graceful: false });
});

/** Inserts a row and answers its id (RETURNING, or MySQL's LAST_INSERT_ID on one connection). */
async function insertRow(session: OrmSession, sql: string, params: unknown[]): Promise<string> {
  return session.sql.run('transaction', async (q) => {
    if (session.sql.dialect.returning) {
      return String((await q.query(`${sql} RETURNING id`, params))[0].id);
    }
    await q.execute(sql, params);
    return String((await q.query('SELECT LAST_INSERT_ID() AS id', []))[0].id);
  });
}

const count = async (session: OrmSession, from: string, params: unknown[] = []) =>
  Number(
    (await session.sql.run('plain', (q) => q.query(`SELECT count(*) AS n FROM ${from}`, params)))[0]
      .n,
  );

const LIBRARY = [
  'transition_log',
  'idempotency_keys',
  'transition_outbox',
  'transition_handled',
  'transition_timers',
];

function describeOrm(kind: Database, orm: Orm, place: () => Promise<Place>): void {
  const name = `${orm} on ${DATABASE_NAMES[kind]}`;
  /**
   * A session on the database, its tables empty. On SQLite a file of its own per test: a broken
   * connection may leave the file bad (Prisma's), and it costs a millisecond.
   */
  const fresh = async (): Promise<{ session: OrmSession; others: OrmSession[]; at: Place }> => {
    if (kind === 'sqlite') {
      const own = await freshPlace('sqlite', 'tg_conformance', conformanceTables);
      const session = await openSession(orm, own);
      const close = session.close.bind(session);
      return {
        session: { ...session, close: async () => (await close(), await own.drop()) },
        others: [],
        at: own,
      };
    }
    const at = await place();
    const session = await openSession(orm, at);
    await emptyTables(session, ['conformance_tickets', 'parcels', 'mails', ...LIBRARY]);
    return { session, others: [], at };
  };
  const p = (n: number) => (kind === 'postgres' && orm !== 'mikro-orm' ? `$${n}` : '?');

  describeTransitionStore({
    name,
    async open(): Promise<OpenedStore> {
      const { session, others, at } = await fresh();
      const store = session.tickets();
      store.verify?.();
      const q = session.sql.dialect.quote;
      return {
        store,
        timers: () => session.timers(),
        insert: (state) =>
          insertRow(
            session,
            `INSERT INTO ${q('conformance_tickets')} (${q('state_value')}, ${q('row_version')}) VALUES (${p(1)}, 0)`,
            [state],
          ),
        async log(id) {
          const rows = await session.sql.run('plain', (s) =>
            s.query(
              `SELECT ${q('event')}, ${q('version')} FROM ${q('transition_log')} WHERE ${q('resourceId')} = ${p(1)} ORDER BY ${q('id')}`,
              [id],
            ),
          );
          return rows.map((r) => ({
            event: String(r.event),
            version: r.version === null ? null : Number(r.version),
          }));
        },
        // Several connections of one process deadlock on SQLite (see OpenedStore.another).
        another:
          kind === 'sqlite'
            ? undefined
            : async () => {
                const other = await openSession(orm, at);
                others.push(other);
                return other.tickets();
              },
        async trigger(lock, install) {
          const statements = machineTriggerStatements(kind, lock, {
            resource: 'ticket',
            table: 'conformance_tickets',
            id: 'id',
            state: 'state_value',
            version: 'row_version',
          });
          // Its own connection: DDL with trigger bodies, which not every ORM's raw call takes.
          const raw = rawSql(kind, at.where);
          try {
            for (const statement of install ? statements.install : statements.uninstall) {
              await raw.query(statement);
            }
          } finally {
            await raw.end();
          }
        },
        breakConnection: () => session.breakConnection(),
        async close() {
          for (const s of [session, ...others]) await s.close();
        },
      };
    },
  });

  describeIdempotencyStore({
    name,
    async open() {
      const { session, others, at } = await fresh();
      return {
        store: session.keys(),
        async another() {
          const other = await openSession(orm, at);
          others.push(other);
          return other.keys();
        },
        async close() {
          for (const s of [session, ...others]) await s.close();
        },
      };
    },
  });

  describeOutboxStore(
    `OutboxStore conformance: ${name}`,
    async (): Promise<OpenedOutbox> => {
      const { session, at } = await fresh();
      const outbox = session.outbox();
      (outbox as { verify?: () => void }).verify?.();
      const q = session.sql.dialect.quote;
      return {
        outbox,
        parcels: session.parcels(),
        insertParcel: () =>
          insertRow(
            session,
            `INSERT INTO ${q('parcels')} (${q('state')}, ${q('version')}) VALUES ('ready', 0)`,
            [],
          ),
        messageCount: () => count(session, q('transition_outbox')),
        async writeMail(tx, transitionId) {
          const s = session.sql.queriesOf(tx);
          if (!s) throw new Error(`not a transaction of ${orm}`);
          await s.execute(`INSERT INTO ${q('mails')} (${q('transitionId')}) VALUES (${p(1)})`, [
            transitionId,
          ]);
        },
        mailCount: (transitionId) =>
          count(session, `${q('mails')} WHERE ${q('transitionId')} = ${p(1)}`, [transitionId]),
        enqueueInTransaction: (messages: NewOutboxMessage[]) =>
          session.sql.run('transaction', (s) => outbox.enqueue(s.handle, messages)),
        inTransaction: (work) => session.sql.run('transaction', (s) => work(s.handle)),
        async another() {
          const other = await openSession(orm, at);
          return { outbox: other.outbox(), close: () => other.close() };
        },
        refusal: /enqueue\(\) needs the transaction of a transition store on the same client/,
        rowLocks: kind !== 'sqlite',
        storeWritesMessages: true,
        close: () => session.close(),
      };
    },
    true,
  );

  // pg-boss's jobs, written through this ORM's transactions (PostgreSQL only).
  if (kind === 'postgres') {
    describeTimerStore(`PgBossTimerStore through ${name}`, async () => {
      const { session, at } = await fresh();
      const queue = `transition-timers-${orm}-${++pgBossQueues}`; // a queue of its own per test
      const store = (boss: PgBoss, s: OrmSession) =>
        new PgBossTimerStore(boss, s.timers() as SqlTimerStore, { queue, leaseSeconds: 1 });
      const boss = await startedBoss(at.where);
      const timers = store(boss, session);
      timers.verify();
      const another = async () => {
        const other = await openSession(orm, at);
        const otherBoss = await quiet(new PgBoss({ connectionString: at.where, ...BOSS })).start();
        return {
          timers: store(otherBoss, other),
          close: async () => {
            await otherBoss.stop({ graceful: false });
            await other.close();
          },
        };
      };
      return {
        timers,
        inTransaction: (work) => session.sql.run('transaction', (s) => work(s.handle)),
        takeoverWithinMs: 8000,
        another,
        close: () => session.close(),
      };
    });
  }

  describeTimerStore(name, async () => {
    const { session, at } = await fresh();
    const timers = session.timers();
    (timers as { verify?: () => void }).verify?.();
    // A second connection, closed by the test (SQLite: one connection, see OpenedStore.another).
    const another = async () => {
      const other = await openSession(orm, at);
      return { timers: other.timers(), close: () => other.close() };
    };
    return {
      timers,
      inTransaction: (work) => session.sql.run('transaction', (s) => work(s.handle)),
      another: kind === 'sqlite' ? undefined : another,
      close: () => session.close(),
    };
  });
}

for (const kind of databases()) {
  describe(`on ${DATABASE_NAMES[kind]}`, () => {
    let made: Promise<Place> | undefined;
    const place = () => (made ??= freshPlace(kind, 'tg_conformance', conformanceTables));
    afterAll(async () => {
      await (await made)?.drop();
    });
    for (const orm of ORMS) describeOrm(kind, orm, place);
  });
}
