import { isUnavailable, machineTriggerStatements } from '../../src/store/index.js';
import { lockMachine } from '../../src/core/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Controller,
  HttpCode,
  Inject,
  Injectable,
  Module,
  Post,
  type INestApplication,
} from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type request from 'supertest';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import {
  CommittedTransition,
  CurrentTransition,
  defineResource,
  OnTransition,
  Transition,
  TransitionGuardModule,
  TransitionOutbox,
  TransitionService,
  type TransitionDelivery,
} from '../../src/index.js';
import {
  HandledTransitionEntry,
  IdempotencyKeyEntry,
  TransitionLogEntry,
  TransitionOutboxEntry,
  TypeOrmIdempotencyStore,
  TypeOrmOutboxStore,
  TypeOrmTransitionStore,
} from '../../src/store/typeorm/index.js';
import { Order } from '../../examples/orders-api/src/orders/order.entity.js';
import { trackedOrderMachine, trackedOrderPayloads } from '../support/tracked-order.machine.js';
import { freshDatabase } from '../support/pg-database.js';
import { freshMysqlDatabase } from '../support/places.js';
import { runsOn } from '../support/databases.js';
import { listen, PLATFORMS } from './module-harness.js';

/** Every statement TypeORM sends, to prove what a request ran. */
class StatementLog implements TypeOrmLogger {
  statements: string[] = [];
  // On PostgreSQL the library's statements are String objects carrying a name (prepared).
  /** The statements that went as named (prepared) ones. */
  named: string[] = [];
  logQuery(query: string | { toString(): string; name?: string }) {
    this.statements.push(query.toString());
    if (typeof query === 'object' && query.name) this.named.push(query.toString());
  }
  logQueryError() {}
  logQuerySlow() {}
  logSchemaBuild() {}
  logMigration() {}
  log() {}
}

@Injectable()
class OrderStore extends TypeOrmTransitionStore<Order, { total: number; paid: number }> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, {
      entity: Order,
      name: 'order',
      stateProperty: 'status',
      versionProperty: 'version',
      context: (o) => ({ total: o.total, paid: o.paid }),
      log: true,
    });
  }
}

const order = defineResource({
  resource: 'order',
  machine: trackedOrderMachine,
  store: OrderStore,
  payloads: trackedOrderPayloads,
});

/** The outbox's deliveries of guard-committed transitions, as their handler received them. */
@Injectable()
class Deliveries {
  readonly records: TransitionDelivery['record'][] = [];
  @OnTransition(order, { event: ['TRACK', 'PAY'] })
  take(delivery: TransitionDelivery) {
    this.records.push(delivery.record);
  }
}

/** The outcome of each commit a handler started after answering, by order id. */
const lateCommits = new Map<string, Promise<{ version?: number } | { error: string }>>();

/** TRACK and CANCEL committed by the guard; SHIP committed by the handler, for comparison. */
@Controller('orders/:id')
class OrdersController {
  constructor(@Inject(TransitionService) private readonly transitions: TransitionService) {}

  @Post('track')
  @HttpCode(200)
  @Transition(order, 'TRACK', {
    idempotency: true,
    commit: {
      changes: (p) => ({ carrier: p.carrier, trackingNumber: p.trackingNumber }),
      returning: true,
    },
  })
  track(@CommittedTransition() c: CommittedTransition<typeof order>) {
    return { from: c.from, to: c.to, version: c.version, carrier: c.row?.carrier };
  }

  @Post('cancel')
  @HttpCode(200)
  @Transition(order, 'CANCEL', { commit: true, audit: true })
  cancel(@CommittedTransition() c: CommittedTransition) {
    return { from: c.from, to: c.to, version: c.version };
  }

  @Post('pay')
  @HttpCode(200)
  @Transition(order, 'PAY', {
    idempotency: true,
    commitLocked: {
      changes: (p, row) => ({ paid: row.context.paid + p.amount }),
      returning: true,
    },
  })
  pay(@CommittedTransition() c: CommittedTransition<typeof order>) {
    return { from: c.from, to: c.to, version: c.version, paid: c.row?.paid };
  }

  @Post('cancel-twice')
  @HttpCode(200)
  @Transition(order, 'CANCEL', { commit: true })
  cancelTwice(@CurrentTransition() t: CurrentTransition<typeof order, 'CANCEL'>) {
    // A handler that commits what its guard committed already: refused, not written twice.
    return this.transitions.commit(t);
  }

  @Post('cancel-later')
  @HttpCode(202)
  @Transition(order, 'CANCEL')
  cancelLater(@CurrentTransition() t: CurrentTransition<typeof order, 'CANCEL'>) {
    // Commits once the answer went: the commit's ETag has no response left to go on.
    const later = new Promise((settle) => setTimeout(settle, 50)).then(() =>
      this.transitions.commit(t),
    );
    lateCommits.set(
      t.id,
      later.then(
        (c) => ({ version: c.version }),
        (err: unknown) => ({ error: String(err) }),
      ),
    );
    return { accepted: true };
  }

  @Post('ship')
  @HttpCode(200)
  @Transition(order, 'SHIP')
  ship(@CurrentTransition() t: CurrentTransition<typeof order, 'SHIP'>) {
    return this.transitions.commit(t, t.payload);
  }
}

type DatabaseOption = { sqlite: string } | { postgres: string } | { mysql: string };

function appModule(database: DatabaseOption, statements: StatementLog) {
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        ...('sqlite' in database
          ? { type: 'better-sqlite3' as const, database: database.sqlite }
          : 'postgres' in database
            ? { type: 'postgres' as const, url: database.postgres }
            : { type: 'mysql' as const, url: database.mysql }),
        entities: [
          Order,
          TransitionLogEntry,
          IdempotencyKeyEntry,
          TransitionOutboxEntry,
          HandledTransitionEntry,
        ],
        synchronize: true,
        logger: statements,
        logging: true,
      }),
      TransitionGuardModule.forRoot({
        isStoreUnavailable: isUnavailable,
        idempotency: { store: TypeOrmIdempotencyStore, anonymousKeys: 'shared' },
        // Delivered when a test drains the outbox, not by a relay running beside it.
        outbox: { store: TypeOrmOutboxStore, relay: false },
      }),
      TransitionGuardModule.forFeature([order]),
    ],
    controllers: [OrdersController],
    providers: [OrderStore, Deliveries],
  })
  class AppModule {}
  return AppModule;
}

const databases: [
  string,
  () => Promise<{
    database: DatabaseOption;
    stop?: () => Promise<void>;
  }>,
][] = [
  [
    'SQLite',
    () =>
      Promise.resolve({
        database: { sqlite: join(mkdtempSync(join(tmpdir(), 'tg-gc-')), 'a.sqlite') },
      }),
  ],
];
if (runsOn('postgres')) {
  databases.push([
    'PostgreSQL',
    async () => {
      const db = await freshDatabase('tg_guard_commit');
      return { database: { postgres: db.url }, stop: db.stop };
    },
  ]);
}
if (runsOn('mysql')) {
  databases.push([
    'MariaDB',
    async () => {
      const db = await freshMysqlDatabase('tg_guard_commit');
      return { database: { mysql: db.url }, stop: db.stop };
    },
  ]);
}

describe.each(databases)('the guard commits in one statement, on %s', (name, open) => {
  const pg = name === 'PostgreSQL';
  // MySQL cannot return the rows it writes: the row as written is read after the UPDATE.
  const mysql = name === 'MariaDB';
  describe.each(PLATFORMS)('on %s', (platform) => {
    let app: INestApplication;
    let http: () => ReturnType<typeof request>;
    let stop: (() => Promise<void>) | undefined;
    const statements = new StatementLog();
    let orders: ReturnType<DataSource['getRepository']>;
    let logs: ReturnType<DataSource['getRepository']>;

    beforeAll(async () => {
      const opened = await open();
      stop = opened.stop;
      ({ app, http } = await listen(appModule(opened.database, statements), platform));
      orders = app.get(DataSource).getRepository(Order);
      logs = app.get(DataSource).getRepository(TransitionLogEntry);
    });
    afterAll(async () => {
      await app.close();
      await stop?.();
    });

    const newOrder = async (status: string, version = 0) => {
      const row = await orders.save({ status, total: 100, paid: 0, version });
      return String((row as Order).id);
    };
    const rowOf = async (id: string) => (await orders.findOneBy({ id: Number(id) })) as Order;
    const logOf = async (id: string) =>
      (await logs.find({
        where: { resourceId: id },
        order: { id: 'ASC' },
      })) as TransitionLogEntry[];
    const track = (id: string, carrier = 'UPS') =>
      http()
        .post(`/orders/${id}/track`)
        .send({ carrier, trackingNumber: `T-${carrier}` });

    it("answers 409 database-refused when the database's machine trigger refuses the commit, under the row lock and in one statement", async () => {
      // A trigger from a lock without the moves out of 'pending' (an older deploy).
      const current = lockMachine(trackedOrderMachine);
      const older = { ...current, edges: current.edges.filter((e) => e.from !== 'pending') };
      const db = app.get(DataSource);
      const trigger = machineTriggerStatements(
        pg ? 'postgres' : mysql ? 'mysql' : 'sqlite',
        older,
        { resource: 'order', table: 'orders', id: 'id', state: 'status', version: 'version' },
        { refuseNonInitialInsert: false },
      );
      for (const statement of trigger.install) await db.query(statement);
      try {
        const id = await newOrder('pending', 2);
        // PAY: commitLocked (the pessimistic commit); CANCEL: the guard's one-statement commit.
        for (const [path, body, event] of [
          ['pay', { amount: 100 }, 'PAY'],
          ['cancel', {}, 'CANCEL'],
        ] as const) {
          const res = await http().post(`/orders/${id}/${path}`).send(body).expect(409);
          expect(res.body).toMatchObject({
            code: 'ILLEGAL_TRANSITION',
            reason: 'database-refused',
            currentState: 'pending',
            event,
          });
        }
        expect(await rowOf(id)).toMatchObject({ status: 'pending', version: 2, paid: 0 });
        expect(await logOf(id)).toEqual([]);
      } finally {
        for (const statement of trigger.uninstall) await db.query(statement);
      }
    });

    it('writes the state, the payload changes and the log without reading the row', async () => {
      const id = await newOrder('shipped', 4);
      statements.statements = [];
      const res = await track(id, 'DHL').expect(200);
      expect(res.body).toEqual({ from: 'shipped', to: 'shipped', version: 5, carrier: 'DHL' });
      expect(res.headers.etag).toBe('"v5"');
      const ran = statements.statements.filter(
        (s) => !/^(BEGIN|COMMIT|START TRANSACTION)/i.test(s),
      );
      // One UPDATE of the order (with RETURNING), one INSERT into the log; no SELECT of the order
      // before the write (on MySQL, one after it: the row as written, in the same transaction).
      // On PostgreSQL, one statement: WITH w AS (UPDATE ... RETURNING ...), l AS (INSERT ...).
      // (The outbox message of the TRACK handler below is another INSERT: see its test.)
      const writes = ran.filter(
        (s) => /^(UPDATE|WITH|INSERT)/i.test(s) && !/^INSERT INTO [`"]transition_outbox/.test(s),
      );
      expect(writes.filter((s) => /UPDATE [`"]orders/.test(s))).toHaveLength(1);
      expect(writes).toHaveLength(pg ? 1 : 2);
      const reads = ran.filter((s) => /^SELECT/i.test(s) && /orders/.test(s));
      expect(reads).toHaveLength(mysql ? 1 : 0);
      if (mysql) {
        expect(ran.indexOf(reads[0])).toBeGreaterThan(ran.findIndex((s) => /^UPDATE/i.test(s)));
      }
      expect(await rowOf(id)).toMatchObject({
        status: 'shipped',
        carrier: 'DHL',
        trackingNumber: 'T-DHL',
        version: 5,
      });
      expect(await logOf(id)).toMatchObject([
        { event: 'TRACK', from: 'shipped', to: 'shipped', version: 5 },
      ]);
    });

    it('tries each state the event leaves from: CANCEL of a paid order, logged from paid', async () => {
      const id = await newOrder('paid', 2);
      const res = await http()
        .post(`/orders/${id}/cancel`)
        .send({ reason: 'customer asked' })
        .expect(200);
      expect(res.body).toEqual({ from: 'paid', to: 'cancelled', version: 3 });
      expect(await logOf(id)).toMatchObject([
        { event: 'CANCEL', from: 'paid', to: 'cancelled', version: 3, reason: 'customer asked' },
      ]);
    });

    it('reads the row only to explain a refusal: the full 409, nothing written', async () => {
      const id = await newOrder('pending');
      const res = await track(id).expect(409);
      expect(res.body).toMatchObject({
        code: 'ILLEGAL_TRANSITION',
        currentState: 'pending',
        event: 'TRACK',
        reason: 'no-transition',
        allowedEvents: ['CANCEL'],
      });
      const cancelled = await newOrder('cancelled');
      const final = await http().post(`/orders/${cancelled}/cancel`).send({}).expect(409);
      expect(final.body).toMatchObject({ reason: 'final-state', allowedEvents: [] });
      expect(await rowOf(id)).toMatchObject({ status: 'pending', version: 0, carrier: null });
      expect(await logOf(id)).toEqual([]);
      await track('999999').expect(404);
    });

    it('answers 400 for a bad payload before writing anything', async () => {
      const id = await newOrder('shipped');
      const res = await http()
        .post(`/orders/${id}/track`)
        .send({ carrier: 7, trackingNumber: 'x' })
        .expect(400);
      expect(res.body.code).toBe('INVALID_PAYLOAD');
      expect(await rowOf(id)).toMatchObject({ version: 0, carrier: null });
    });

    it('compares the version in the statement: If-Match and expectedVersion', async () => {
      const id = await newOrder('shipped', 3);
      const stale = await track(id).set('If-Match', '"v2"').expect(412);
      expect(stale.headers.etag).toBe('"v3"');
      await track(id).set('If-Match', '"v3"').expect(200);
      // Several tags: the guard reads the row and answers as always.
      await track(id).set('If-Match', '"v1", "v4"').expect(200);
      const mismatch = await http()
        .post(`/orders/${id}/track`)
        .send({ carrier: 'UPS', trackingNumber: 'T', expectedVersion: 1 })
        .expect(409);
      expect(mismatch.body.reason).toBe('version-mismatch');
      await http()
        .post(`/orders/${id}/track`)
        .send({ carrier: 'UPS', trackingNumber: 'T', expectedVersion: 5 })
        .expect(200);
      expect(await rowOf(id)).toMatchObject({ version: 6 });
    });

    it('replays an Idempotency-Key retry instead of committing again', async () => {
      const id = await newOrder('shipped');
      const first = await track(id, 'FedEx').set('Idempotency-Key', 'track-1').expect(200);
      const again = await track(id, 'FedEx').set('Idempotency-Key', 'track-1').expect(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await rowOf(id)).toMatchObject({ version: 1 });
      expect(await logOf(id)).toHaveLength(1);
    });

    it('counts every one of 30 racing re-trackings, and CANCEL has one winner among 20', async () => {
      const id = await newOrder('shipped');
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => track(id, `C${i}`)));
      expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
      const versions = answers
        .map((a) => (a.body as { version: number }).version)
        .sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(await rowOf(id)).toMatchObject({ version: 30 });
      expect((await logOf(id)).map((l) => l.version)).toEqual(versions);

      const pending = await newOrder('pending');
      const cancels = await Promise.all(
        Array.from({ length: 20 }, () => http().post(`/orders/${pending}/cancel`).send({})),
      );
      expect(cancels.filter((a) => a.status === 200)).toHaveLength(1);
      const refused = cancels.filter((a) => a.status === 409);
      expect(refused).toHaveLength(19);
      for (const r of refused) expect(r.body.reason).toBe('final-state');
      expect(await logOf(pending)).toHaveLength(1);
    });

    it('commits under a row lock, reading the row once: PAY, which a guard decides', async () => {
      const id = await newOrder('pending', 2);
      statements.statements = [];
      statements.named = [];
      const res = await http().post(`/orders/${id}/pay`).send({ amount: 100 }).expect(200);
      expect(res.body).toEqual({ from: 'pending', to: 'paid', version: 3, paid: 100 });
      expect(res.headers.etag).toBe('"v3"');
      const ran = statements.statements;
      // The row is read once, locked (on MySQL once more after the write: the row as written).
      const reads = ran.filter((s) => /^SELECT/i.test(s) && /orders/.test(s));
      expect(reads).toHaveLength(mysql ? 2 : 1);
      expect(reads[0]).toMatch(pg || mysql ? /FOR UPDATE$/ : /^SELECT/);
      const writes = ran.filter((s) => /^(UPDATE|WITH w AS \(UPDATE)/i.test(s));
      expect(writes).toHaveLength(1);
      // On PostgreSQL both go as named statements: each connection plans them once.
      if (pg) expect(statements.named).toEqual(expect.arrayContaining([reads[0], writes[0]]));
      expect(await logOf(id)).toMatchObject([
        { event: 'PAY', from: 'pending', to: 'paid', version: 3 },
      ]);
    });

    it('answers a refusal checked under the lock as always, and writes nothing', async () => {
      const id = await newOrder('pending');
      const partial = await http().post(`/orders/${id}/pay`).send({ amount: 50 }).expect(409);
      expect(partial.body).toMatchObject({
        reason: 'guard-rejected',
        blockedBy: ['coversBalance'],
      });
      const pinned = await http()
        .post(`/orders/${id}/pay`)
        .set('If-Match', '"v7"')
        .send({ amount: 100 })
        .expect(412);
      expect(pinned.headers.etag).toBe('"v0"');
      await http().post(`/orders/${id}/pay`).send({ amount: 'x' }).expect(400);
      await http().post('/orders/999999/pay').send({ amount: 100 }).expect(404);
      expect(await rowOf(id)).toMatchObject({ status: 'pending', paid: 0, version: 0 });
      expect(await logOf(id)).toEqual([]);
    });

    it('queues 20 racing payments on one row: one winner, no stale-state', async () => {
      const id = await newOrder('pending');
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => http().post(`/orders/${id}/pay`).send({ amount: 100 })),
      );
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      // The losers saw the row paid, under the lock: PAY has no transition from there.
      const refused = answers.filter((a) => a.status === 409).map((a) => a.body.reason);
      expect(refused).toEqual(Array(19).fill('no-transition'));
      expect(await rowOf(id)).toMatchObject({ status: 'paid', paid: 100, version: 1 });
      expect(await logOf(id)).toHaveLength(1);
    });

    it('refuses a handler that commits what its guard committed; the 500 tells the version committed', async () => {
      const id = await newOrder('pending');
      const res = await http().post(`/orders/${id}/cancel-twice`).send({}).expect(500);
      // The ETag is set when the guard's commit settles: the row is at v1, whatever came after.
      expect(res.headers.etag).toBe('"v1"');
      expect(await rowOf(id)).toMatchObject({ status: 'cancelled', version: 1 });
      expect(await logOf(id)).toHaveLength(1);
    });

    it('commits what settles after the answer went, with no ETag left to set and no error', async () => {
      const id = await newOrder('pending');
      const res = await http().post(`/orders/${id}/cancel-later`).send({}).expect(202);
      expect(res.headers.etag ?? '').not.toMatch(/"v\d+"/);
      expect(await lateCommits.get(id)).toEqual({ version: 1 });
      expect(await rowOf(id)).toMatchObject({ status: 'cancelled', version: 1 });
    });

    it('writes an outbox message with each guard commit, carrying the version the statement wrote', async () => {
      const outbox = app.get(TransitionOutbox);
      const deliveries = app.get(Deliveries);
      await outbox.drain();
      deliveries.records.length = 0;
      // Unread (TRACK: the version comes back from RETURNING), pinned by If-Match, and locked (PAY).
      const tracked = await newOrder('shipped', 6);
      await Promise.all(Array.from({ length: 5 }, (_, i) => track(tracked, `R${i}`).expect(200)));
      statements.statements = [];
      await track(tracked).set('If-Match', '"v11"').expect(200);
      // Pinned, the version written is known before the write: on PostgreSQL the message goes in
      // the compare-and-set's own statement (elsewhere, an INSERT in its transaction).
      const writes = statements.statements.filter((s) => /^(UPDATE|WITH|INSERT)/i.test(s));
      expect(writes).toHaveLength(pg ? 1 : 3); // SQLite: the UPDATE, the log's and the message's INSERTs
      expect(writes.filter((s) => /INSERT INTO [`"]transition_outbox/.test(s))).toHaveLength(1);
      expect(writes.filter((s) => /UPDATE [`"]orders/.test(s))).toHaveLength(1);
      const paid = await newOrder('pending', 1);
      await http().post(`/orders/${paid}/pay`).send({ amount: 100 }).expect(200);
      // Refused, and replayed: no message.
      await track(paid).expect(409);
      const keyed = await newOrder('shipped');
      await track(keyed).set('Idempotency-Key', 'outbox-1').expect(200);
      await track(keyed).set('Idempotency-Key', 'outbox-1').expect(200);
      await outbox.drain();

      const seen = deliveries.records.map((r) => ({
        id: r.resourceId,
        event: r.event,
        version: r.version,
        transitionId: r.transitionId,
      }));
      const logged = [...(await logOf(tracked)), ...(await logOf(paid)), ...(await logOf(keyed))];
      // One message per committed transition, with the log row's version and transition id.
      expect(seen.sort((a, b) => a.id.localeCompare(b.id) || a.version! - b.version!)).toEqual(
        logged.map((l) => ({
          id: l.resourceId,
          event: l.event,
          version: l.version,
          transitionId: l.transitionId,
        })),
      );
      expect(seen.filter((r) => r.id === tracked).map((r) => r.version)).toEqual([
        7, 8, 9, 10, 11, 12,
      ]);
      expect(seen.filter((r) => r.id === paid)).toMatchObject([{ event: 'PAY', version: 2 }]);
      expect(seen.filter((r) => r.id === keyed)).toHaveLength(1);
      expect(await outbox.pending()).toEqual([]);
    });
  });
});
