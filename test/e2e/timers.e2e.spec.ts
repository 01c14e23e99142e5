import 'reflect-metadata';
import {
  Controller,
  Global,
  Inject,
  Injectable,
  Module,
  type INestApplication,
  type OnApplicationShutdown,
  Post,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PgBoss } from 'pg-boss';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Transition, TransitionGuardModule, TransitionService } from '../../src/index.js';
import { PgBossTimerStore } from '../../src/store/index.js';
import {
  TransitionLogEntry,
  TransitionTimerEntry,
  TypeOrmTimerStore,
} from '../../src/store/typeorm/index.js';
import {
  invoice,
  Invoice,
  InvoicesController,
  invoiceTables as tables,
  TIMER,
} from '../support/invoices.js';
import { databases, DATABASE_NAMES, type Database } from '../support/databases.js';
import { freshPlace, type Place } from '../support/places.js';

/**
 * Durable `after` timers through the whole module, on TypeORM over each database of the tier:
 * an invoice left unpaid expires when its window (read from its row) ends, as `system:timer`,
 * once; a payment in time disarms it; re-entering the state starts the window again; two app
 * instances on one database fire each timer exactly once. On PostgreSQL, the same with the timers
 * kept as pg-boss jobs (`PgBossTimerStore`).
 */

/** Where the timers live: the library's table, or pg-boss's jobs (PostgreSQL). */
type Backend = 'table' | 'pg-boss';
const PG_BOSS = Symbol('PG_BOSS');
const QUEUE = 'invoice-timers';

/** Each app's pg-boss, started with it and stopped with it (its supervision on, every second). */
function bossModule(url: string) {
  @Injectable()
  class BossLifecycle implements OnApplicationShutdown {
    constructor(@Inject(PG_BOSS) private readonly boss: PgBoss) {}
    async onApplicationShutdown() {
      await this.boss.stop({ graceful: false });
    }
  }
  @Global()
  @Module({
    providers: [
      {
        provide: PG_BOSS,
        useFactory: () =>
          new PgBoss({
            connectionString: url,
            schedule: false,
            superviseIntervalSeconds: 1,
            monitorIntervalSeconds: 1,
          })
            .on('error', () => undefined)
            .start(),
      },
      BossLifecycle,
    ],
    exports: [PG_BOSS],
  })
  class BossModule {}
  return BossModule;
}

/** The invoices' timers as pg-boss jobs, written through TypeORM's transactions. */
@Injectable()
class BossTimerStore extends PgBossTimerStore {
  constructor(@Inject(DataSource) dataSource: DataSource, @Inject(PG_BOSS) boss: PgBoss) {
    super(boss, new TypeOrmTimerStore(dataSource), { queue: QUEUE, leaseSeconds: 5 });
  }
}
function typeOrmOptions(place: Place) {
  const entities = [Invoice, TransitionLogEntry, TransitionTimerEntry];
  return place.kind === 'sqlite'
    ? { type: 'better-sqlite3' as const, database: place.where, entities }
    : place.kind === 'postgres'
      ? { type: 'postgres' as const, url: place.where, entities }
      : { type: 'mysql' as const, url: place.where, entities };
}

async function appOn(
  place: Place,
  backend: Backend,
  timers: {
    pollIntervalMs: number;
    fire?: boolean;
    onOverdue?: 'fire' | 'skip';
    overdueAfterSeconds?: number;
  },
) {
  const store = backend === 'pg-boss' ? BossTimerStore : TypeOrmTimerStore;
  @Module({
    imports: [
      TypeOrmModule.forRoot(typeOrmOptions(place)),
      ...(backend === 'pg-boss' ? [bossModule(place.where)] : []),
      TransitionGuardModule.forRoot({ timers: { store, ...timers } }),
      TransitionGuardModule.forFeature([invoice]),
    ],
    controllers: [InvoicesController],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
  await app.init();
  return app;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds, at most `ms`. */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`still not so after ${ms} ms`);
    await sleep(25);
  }
}

function describeOn(kind: Database, backend: Backend): void {
  const where = backend === 'pg-boss' ? 'pg-boss jobs' : 'the timer table';
  describe(`after timers on ${DATABASE_NAMES[kind]} (TypeORM, ${where})`, () => {
    let place: Place;
    let app: INestApplication;
    const http = () => request(app.getHttpServer());
    const create = async (windowMs: number) =>
      String((await http().post('/invoices').send({ windowMs }).expect(201)).body.id);
    const status = async (id: string) =>
      String((await http().get(`/invoices/${id}`).expect(200)).body.state);
    /** Timers still armed: rows of the table, or pg-boss jobs not yet completed. */
    const timerRows = async () =>
      Number(
        (
          await app
            .get(DataSource)
            .query(
              backend === 'pg-boss'
                ? `SELECT count(*) AS n FROM pgboss.job WHERE name = '${QUEUE}' AND state IN ('created', 'retry', 'active')`
                : 'SELECT count(*) AS n FROM transition_timers',
            )
        )[0].n,
      );

    beforeAll(async () => {
      place = await freshPlace(kind, 'tg_timers', tables);
      app = await appOn(place, backend, { pollIntervalMs: 50 });
    });
    afterAll(async () => {
      await app?.close();
      await place?.drop();
    });

    it('expires an unpaid invoice when the window its row gives ends, once, as system:timer', async () => {
      const id = await create(300);
      const [armed] = (await http().get(`/invoices/${id}/timers`).expect(200)).body as {
        timer: string;
        dueAt: string;
        armedAt: string;
        armedVersion: number;
      }[];
      expect(armed).toMatchObject({ timer: TIMER, armedVersion: 0 });
      expect(Date.parse(armed.dueAt) - Date.parse(armed.armedAt)).toBe(300);
      await eventually(async () => (await status(id)) === 'expired', 10_000);
      const history = (await http().get(`/invoices/${id}/history`).expect(200)).body.entries;
      expect(history).toHaveLength(1);
      expect(history[0]).toMatchObject({
        event: TIMER,
        from: 'open',
        to: 'expired',
        version: 1,
        actor: 'system:timer',
        metadata: { timer: TIMER, dueAt: armed.dueAt },
      });
      expect(history[0].metadata.lateMs).toBeGreaterThanOrEqual(0);
      expect((await http().get(`/invoices/${id}/timers`).expect(200)).body).toEqual([]);
      if (backend === 'pg-boss') {
        // pg-boss keeps the fired timer's job, completed: its history and dashboards show it.
        const jobs = await app
          .get(DataSource)
          .query('SELECT state FROM pgboss.job WHERE name = $1 AND singleton_key = $2', [
            QUEUE,
            JSON.stringify(['invoice', id, TIMER]),
          ]);
        expect(jobs).toEqual([{ state: 'completed' }]);
      }
      const refused = await http().post(`/invoices/${id}/pay`).expect(409);
      expect(refused.body).toMatchObject({ reason: 'final-state', currentState: 'expired' });
    });

    it('disarms the timer when the invoice is paid in time: it never fires', async () => {
      const id = await create(400);
      await http().post(`/invoices/${id}/pay`).expect(200);
      expect((await http().get(`/invoices/${id}/timers`).expect(200)).body).toEqual([]);
      await sleep(700);
      expect(await status(id)).toBe('paid');
      const history = (await http().get(`/invoices/${id}/history`).expect(200)).body.entries;
      expect(history.map((e: { event: string }) => e.event)).toEqual(['PAY']);
    });

    it('starts the window again when the state is re-entered', async () => {
      const id = await create(600);
      const [first] = (await http().get(`/invoices/${id}/timers`).expect(200)).body;
      await sleep(300);
      await http().post(`/invoices/${id}/extend`).expect(200);
      const [again] = (await http().get(`/invoices/${id}/timers`).expect(200)).body;
      expect(again).toMatchObject({ timer: TIMER, armedVersion: 1 });
      expect(Date.parse(again.dueAt)).toBeGreaterThanOrEqual(Date.parse(first.dueAt) + 250);
      // The first deadline passes without firing; the second fires.
      await sleep(Math.max(0, Date.parse(first.dueAt) + 150 - Date.now()));
      expect(await status(id)).toBe('open');
      await eventually(async () => (await status(id)) === 'expired', 10_000);
      const history = (await http().get(`/invoices/${id}/history`).expect(200)).body.entries;
      expect(history.map((e: { event: string }) => e.event)).toEqual([TIMER, 'EXTEND']);
    });

    it('never takes a timer event from a caller', async () => {
      const id = await create(60_000);
      await expect(
        app.get(TransitionService).send(invoice, id, TIMER as 'PAY'),
      ).rejects.toMatchObject({
        status: 400,
        response: { code: 'UNKNOWN_EVENT' },
      });
      expect(await status(id)).toBe('open');
      await http().post(`/invoices/${id}/pay`).expect(200);
      expect((await http().get(`/invoices/${id}/timers`).expect(200)).body).toEqual([]);
    });

    it('fires timers that fell due while no instance ran as soon as one starts; or skips them (onOverdue: skip)', async () => {
      const own = await freshPlace(kind, 'tg_timers_overdue', tables);
      const armAndStop = async (count: number) => {
        // An instance that does not fire (fire: false) arms them, then stops.
        const armer = await appOn(own, backend, { pollIntervalMs: 50, fire: false });
        const ids: string[] = [];
        for (let i = 0; i < count; i++) {
          const made = await request(armer.getHttpServer())
            .post('/invoices')
            .send({ windowMs: 100 });
          ids.push(String(made.body.id));
        }
        await armer.close();
        return ids;
      };
      const statesOn = async (instance: INestApplication, ids: string[]) =>
        Promise.all(
          ids.map(async (id) =>
            String((await request(instance.getHttpServer()).get(`/invoices/${id}`)).body.state),
          ),
        );
      try {
        const due = await armAndStop(20);
        await sleep(600);
        const started = Date.now();
        const firing = await appOn(own, backend, { pollIntervalMs: 1000 });
        try {
          await eventually(
            async () => (await statesOn(firing, due)).every((s) => s === 'expired'),
            10_000,
          );
          // Within 2 s of the first start (the app's own start aside): at start, not a poll later.
          expect(Date.now() - started).toBeLessThan(2_000 + 1_000);
        } finally {
          await firing.close();
        }
        const skipped = await armAndStop(3);
        await sleep(1_300);
        const skipping = await appOn(own, backend, {
          pollIntervalMs: 50,
          onOverdue: 'skip',
          overdueAfterSeconds: 1,
        });
        try {
          await eventually(
            async () =>
              (
                await Promise.all(
                  skipped.map((id) => skipping.get(TransitionService).timers('invoice', id)),
                )
              ).every((t) => t.length === 0),
            5_000,
          );
          expect(await statesOn(skipping, skipped)).toEqual(['open', 'open', 'open']);
        } finally {
          await skipping.close();
        }
      } finally {
        await own.drop();
      }
    });

    it('fires each timer exactly once with two app instances on one database', async () => {
      const second = await appOn(place, backend, { pollIntervalMs: 50 });
      try {
        const ids: string[] = [];
        for (let i = 0; i < 40; i++) ids.push(await create(150 + (i % 5) * 20));
        await eventually(async () => (await timerRows()) === 0, 20_000);
        const mine = new Set(ids);
        const logged = (
          await app.get(DataSource).getRepository(TransitionLogEntry).findBy({ event: TIMER })
        ).filter((row) => mine.has(row.resourceId));
        const fired = new Map<string, number>();
        for (const row of logged) fired.set(row.resourceId, (fired.get(row.resourceId) ?? 0) + 1);
        expect(logged).toHaveLength(ids.length);
        for (const id of ids) expect([id, fired.get(id)]).toEqual([id, 1]);
        for (const id of ids.slice(0, 5)) expect(await status(id)).toBe('expired');
      } finally {
        await second.close();
      }
    });
  });
}

for (const kind of databases()) {
  describeOn(kind, 'table');
  if (kind === 'postgres') describeOn(kind, 'pg-boss');
}

describe('after timers: bootstrap', () => {
  it('refuses a route that names a timer event: only the firing loop sends it', async () => {
    const place = await freshPlace('sqlite', 'tg_timers_route_boot', tables);
    try {
      @Controller('invoices')
      class TimerRouteController {
        @Post(':id/expire')
        // Typed as an event the machine takes: the check is the bootstrap's, not only the compiler's.
        @Transition(invoice, TIMER as 'PAY')
        expire() {
          return {};
        }
      }
      @Module({
        imports: [
          TypeOrmModule.forRoot(typeOrmOptions(place)),
          TransitionGuardModule.forRoot({ timers: { store: TypeOrmTimerStore } }),
          TransitionGuardModule.forFeature([invoice]),
        ],
        controllers: [TimerRouteController],
      })
      class AppModule {}
      const app = await NestFactory.create(AppModule, new ExpressAdapter(), {
        logger: false,
        abortOnError: false,
      });
      await expect(app.init()).rejects.toThrow(
        `@Transition('invoice', '${TIMER}') on TimerRouteController.expire: '${TIMER}' is not an event of machine 'invoice' (events: PAY, EXTEND, REFUND)`,
      );
      await app.close().catch(() => undefined);
    } finally {
      await place.drop();
    }
  });

  it('refuses pg-boss timers on a database other than PostgreSQL, naming the store to use', async () => {
    const place = await freshPlace('sqlite', 'tg_timers_boss_boot', tables);
    try {
      // pg-boss itself is never reached: the check comes first (it runs on PostgreSQL only).
      @Global()
      @Module({ providers: [{ provide: PG_BOSS, useValue: {} }], exports: [PG_BOSS] })
      class NoBossModule {}
      @Module({
        imports: [
          TypeOrmModule.forRoot(typeOrmOptions(place)),
          NoBossModule,
          TransitionGuardModule.forRoot({ timers: { store: BossTimerStore } }),
          TransitionGuardModule.forFeature([invoice]),
        ],
      })
      class AppModule {}
      // The store is checked as it is made: the app is not created.
      await expect(
        NestFactory.create(AppModule, new ExpressAdapter(), { logger: false, abortOnError: false }),
      ).rejects.toThrow(
        'PgBossTimerStore keeps timers in pg-boss, on PostgreSQL; the timer store it writes through is on sqlite. Use the ORM timer store itself there (TypeOrmTimerStore, ...).',
      );
    } finally {
      await place.drop();
    }
  });

  it('refuses a timer store that cannot write in the resource store transactions, naming the fix', async () => {
    const place = await freshPlace('sqlite', 'tg_timers_boot', tables);
    try {
      @Module({
        imports: [
          TypeOrmModule.forRoot(typeOrmOptions(place)),
          TransitionGuardModule.forRoot({}),
          TransitionGuardModule.forFeature([invoice]),
        ],
      })
      class AppModule {}
      const app = await NestFactory.create(AppModule, new ExpressAdapter(), {
        logger: false,
        abortOnError: false,
      });
      await expect(app.init()).rejects.toThrow(
        /invoice: its machine has `after` transitions: timers are armed in the transition's own transaction, but MemoryTimerStore cannot write in InvoiceStore's transactions\. Set TransitionGuardModule\.forRoot\(\{ timers: \{ store \} \}\).*TypeOrmTimerStore/,
      );
      await app.close().catch(() => undefined);
    } finally {
      await place.drop();
    }
  });
});
