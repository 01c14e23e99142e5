import { rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DataSource, type MigrationInterface } from 'typeorm';
import { setup, type AnyStateMachine } from 'xstate';
import { lockMachine } from '../../src/core/index.js';
import { migrationFiles, writeMigrationFiles } from '../../src/cli/migrate-command.js';
import { orderMachine } from '../../machines/order.machine.js';
import { runsOn } from '../support/databases.js';
import { freshDatabase } from '../support/pg-database.js';
import {
  postJson,
  startDemoProcesses,
  stopDemoProcess,
  type DemoProcess,
} from '../support/processes.js';

/**
 * A state renamed while the old app keeps paying orders: 10,000 orders in `pending` on
 * PostgreSQL, 4 demo processes (the deployed machine, 2 Express, 2 Fastify) paying them at
 * random, and the migration `transition-guard migrate` writes for TypeORM moving `pending` to
 * `awaiting_payment` in batches at the same time. The database refuses any statement over
 * 200 ms (`statement_timeout` on the database, for the app's connections and the migration's):
 * a PAY that waited on the migration's locks that long would answer 5xx, a batch that long
 * would fail the migration. Then: every order either paid (by exactly one 200) or moved (one
 * `system:migration` log row), none left in `pending`, each order's log a gapless path whose
 * length is its version.
 */
const ORDERS = 10_000;
const PROCESSES = 4;
const CONCURRENCY = 32;

/** The order machine with a state renamed: what the next deploy ships. */
function renamedMachine(machine: AnyStateMachine, from: string, to: string): AnyStateMachine {
  const rename = (value: unknown): unknown => {
    if (value === from) return to;
    if (Array.isArray(value)) return value.map(rename);
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k === from ? to : k, rename(v)]),
      );
    }
    return value;
  };
  const guards = Object.fromEntries(
    Object.keys(machine.implementations.guards).map((g) => [g, () => true]),
  );
  return setup({ guards }).createMachine(
    rename(machine.config) as never,
  ) as unknown as AnyStateMachine;
}

(runsOn('postgres') ? describe : describe.skip)(
  // Skipped below the full tier: it needs the PostgreSQL server `.ci/run` starts.
  'a migration under load (PostgreSQL, 4 processes)',
  () => {
    const name = `tg_migrate_load_${String(process.pid)}`;
    const folder = resolve(`.data/migrations-load-${String(process.pid)}`);
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const processes: DemoProcess[] = [];
    let db: DataSource;
    let stopDb: () => Promise<void>;
    const demoLog: string[] = [];

    beforeAll(async () => {
      const created = await freshDatabase(name);
      stopDb = created.stop;
      db = await new DataSource({ type: 'postgres', url: created.url }).initialize();
      await db.query(`ALTER DATABASE ${name} SET statement_timeout = '200ms'`);
      const env = { DATABASE_URL: created.url, LOG_LEVEL: 'error' };
      processes.push(...(await startDemoProcesses(env, PROCESSES)));
      for (const p of processes) {
        p.child.stdout?.on('data', (c: Buffer) => demoLog.push(c.toString()));
        p.child.stderr?.on('data', (c: Buffer) => demoLog.push(c.toString()));
      }
      await db.query(`INSERT INTO orders (total) SELECT 100 FROM generate_series(1, ${ORDERS})`);
    }, 180_000);

    afterAll(async () => {
      agent.destroy();
      await Promise.all(processes.map(stopDemoProcess));
      await db?.destroy();
      await stopDb?.();
      rmSync(folder, { recursive: true, force: true });
    });

    it(`moves ${ORDERS.toLocaleString('en-US')} rows while PAY requests race it: no lost update, no statement over 200 ms`, async () => {
      const ids = ((await db.query('SELECT id FROM orders ORDER BY id')) as { id: number }[]).map(
        (r) => r.id,
      );
      let seed = 11;
      const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
      for (let i = ids.length - 1; i > 0; i--) {
        const j = rnd(i + 1);
        [ids[i], ids[j]] = [ids[j], ids[i]];
      }

      const [file] = migrationFiles(
        lockMachine(orderMachine as AnyStateMachine),
        lockMachine(renamedMachine(orderMachine as AnyStateMachine, 'pending', 'awaiting_payment')),
        {
          map: ['pending=awaiting_payment'],
          orm: 'typeorm',
          dialect: 'postgres',
          table: 'orders',
          state: 'status',
          id: 'id',
          version: 'version',
          log: 'transition_log',
          resource: 'order',
          batch: '250',
          out: folder,
        },
      );
      writeMigrationFiles([file]);
      const migrations = Object.values(
        (await import(pathToFileURL(file.path).href)) as Record<
          string,
          new () => MigrationInterface
        >,
      );

      // The load: each order paid once at most, in a random order, until the ids run out or
      // the migration has been done for a while.
      const answers: { id: number; status: number; reason?: string; at: number }[] = [];
      let migrationDone = 0;
      let next = 0;
      const load = Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, worker) => {
          while (next < ids.length && !(migrationDone && Date.now() - migrationDone > 500)) {
            const id = ids[next++];
            const r = await postJson(
              agent,
              `${processes[(worker + next) % PROCESSES].url}/orders/${String(id)}/pay`,
              { amount: 100 },
            );
            answers.push({ id, status: r.status, reason: r.body?.reason, at: Date.now() });
          }
        }),
      );
      while (answers.length < 200) await new Promise((r) => setTimeout(r, 20));

      const migrationStarted = Date.now();
      const runner = await new DataSource({
        type: 'postgres',
        url: (db.options as { url: string }).url,
        migrations,
        // Outside TypeORM's transaction: each batch commits on its own.
        migrationsTransactionMode: 'none',
      }).initialize();
      try {
        expect(await runner.runMigrations()).toHaveLength(1);
      } finally {
        await runner.destroy();
      }
      migrationDone = Date.now();
      await load;

      const statuses = answers.reduce<Record<string, number>>((acc, a) => {
        const key = `${String(a.status)}${a.reason ? ` ${a.reason}` : ''}`;
        return { ...acc, [key]: (acc[key] ?? 0) + 1 };
      }, {});
      // Only 200s and 409s: no PAY waited 200 ms on a lock or failed otherwise.
      if (answers.some((a) => a.status !== 200 && a.status !== 409))
        console.log(demoLog.join('').slice(0, 4000));
      expect(answers.filter((a) => a.status !== 200 && a.status !== 409)).toEqual([]);
      const paidDuring = answers.filter(
        (a) => a.status === 200 && a.at > migrationStarted && a.at < migrationDone,
      ).length;
      // The two really overlapped: payments committed while batches moved rows.
      expect(paidDuring).toBeGreaterThan(0);
      expect(statuses['409 unknown-state'] ?? 0).toBeGreaterThan(0);

      const rows = (await db.query('SELECT id, status, version FROM orders')) as {
        id: number;
        status: string;
        version: number;
      }[];
      const log = (await db.query(
        `SELECT "resourceId", event, from_state, to_state, version, actor FROM transition_log WHERE resource = 'order' ORDER BY id`,
      )) as {
        resourceId: string;
        event: string;
        from_state: string;
        to_state: string;
        version: number;
        actor: string | null;
      }[];
      const byOrder = new Map<string, typeof log>();
      for (const entry of log) {
        byOrder.set(entry.resourceId, [...(byOrder.get(entry.resourceId) ?? []), entry]);
      }
      const paid = new Map<number, number>();
      for (const a of answers) if (a.status === 200) paid.set(a.id, (paid.get(a.id) ?? 0) + 1);

      let moved = 0;
      const problems: string[] = [];
      for (const row of rows) {
        const history = byOrder.get(String(row.id)) ?? [];
        let state = 'pending';
        history.forEach((entry, i) => {
          if (entry.from_state !== state || entry.version !== i + 1) {
            problems.push(`order ${String(row.id)}: log entry ${String(i + 1)} does not follow`);
          }
          state = entry.to_state;
        });
        if (state !== row.status || history.length !== row.version) {
          problems.push(
            `order ${String(row.id)}: row ${row.status} v${String(row.version)}, log ends ${state}`,
          );
        }
        const migrations = history.filter((e) => e.actor === 'system:migration').length;
        if (row.status === 'paid') {
          if (paid.get(row.id) !== 1 || migrations) problems.push(`order ${String(row.id)}: paid`);
        } else if (row.status === 'awaiting_payment') {
          moved++;
          if (paid.has(row.id) || migrations !== 1) problems.push(`order ${String(row.id)}: moved`);
        } else {
          problems.push(`order ${String(row.id)}: in ${row.status}`);
        }
      }
      expect(problems.slice(0, 10)).toEqual([]);
      expect(moved + paid.size).toBe(ORDERS);
      expect(rows.filter((r) => r.status === 'pending')).toHaveLength(0);
      console.log(
        `migration under load: ${String(moved)} rows moved in ${String(migrationDone - migrationStarted)} ms ` +
          `(batches of 250) while ${String(answers.length)} PAY requests ran: ${JSON.stringify(statuses)}, ` +
          `${String(paidDuring)} paid during the move`,
      );
    }, 300_000);
  },
);
