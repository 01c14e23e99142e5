/**
 * `npm run bench:trigger`: what the machine trigger (`transition-guard trigger`) adds to one
 * state change, measured where the network and the client cannot blur it: the same loop of
 * state changes (`UPDATE ... SET status = <the other state>, version = version + 1 WHERE id =
 * ...`) on two tables alike, one with the trigger, run inside the database (a PL/pgSQL `DO`
 * block on PostgreSQL, a stored procedure on MySQL/MariaDB, one prepared statement in process
 * on SQLite), in interleaved rounds; medians of µs per change. The stores benchmark has the
 * same pair through a client, where this difference drowns in the round trip's noise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createMachine } from 'xstate';
import { lockMachine } from '../src/core/index.js';
import { machineTriggerStatements } from '../src/store/sql/machine-trigger.js';
import type { DialectName } from '../src/store/sql/dialect.js';
import { freshDatabase } from '../test/support/pg-database.js';
import { freshMysqlDatabase } from '../test/support/places.js';
import { mysqlServer, postgres } from './servers.js';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = QUICK ? 3 : 9;
const CHANGES = QUICK ? 2_000 : 20_000;
const ROWS = 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A machine whose two states change into each other: every step is a change the trigger checks. */
const lock = lockMachine(
  createMachine({
    id: 'toggle',
    initial: 'open',
    states: { open: { on: { CLOSE: 'closed' } }, closed: { on: { OPEN: 'open' } } },
  }),
);
/** Two tables alike; the second has the trigger. Also the stores benchmark's trigger rows. */
export const TOGGLE_TABLES = ['toggles_plain', 'toggles_guarded'] as const;
const TABLES = TOGGLE_TABLES;

/** The two tables with `rows` rows each in `open`, and the trigger on the second. */
export function toggleTables(dialect: DialectName, rows: number = ROWS): string[] {
  const serial =
    dialect === 'postgres'
      ? 'serial PRIMARY KEY'
      : dialect === 'mysql'
        ? 'integer AUTO_INCREMENT PRIMARY KEY'
        : 'integer PRIMARY KEY';
  const values = Array.from({ length: rows }, () => "('open', 0)").join(', ');
  return [
    ...TABLES.flatMap((t) => [
      `CREATE TABLE ${t} (id ${serial}, status varchar(32) NOT NULL, version integer NOT NULL)`,
      `INSERT INTO ${t} (status, version) VALUES ${values}`,
    ]),
    ...machineTriggerStatements(dialect, lock, {
      resource: 'toggle',
      table: 'toggles_guarded',
      id: 'id',
      state: 'status',
      version: 'version',
    }).install,
  ];
}

export interface TriggerCostRow {
  readonly database: string;
  /** Median µs per state change without the trigger, and with it. */
  readonly plainMicros: number;
  readonly guardedMicros: number;
}

async function rounds(
  database: string,
  timeOne: (table: (typeof TABLES)[number]) => Promise<number>,
): Promise<TriggerCostRow> {
  const samples: Record<string, number[]> = { toggles_plain: [], toggles_guarded: [] };
  await timeOne('toggles_plain');
  await timeOne('toggles_guarded');
  for (let r = 0; r < ROUNDS; r++) {
    for (const t of r % 2 ? [...TABLES].reverse() : TABLES) {
      samples[t].push(((await timeOne(t)) * 1000) / CHANGES);
    }
  }
  return {
    database,
    plainMicros: median(samples.toggles_plain),
    guardedMicros: median(samples.toggles_guarded),
  };
}

function sqlite(): Promise<TriggerCostRow> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-trigger-'));
  const db = new Database(join(dir, 'trigger.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  for (const sql of toggleTables('sqlite')) db.exec(sql);
  const flips = Object.fromEntries(
    TABLES.map((t) => [
      t,
      db.prepare(
        `UPDATE ${t} SET status = CASE status WHEN 'open' THEN 'closed' ELSE 'open' END, version = version + 1 WHERE id = ?`,
      ),
    ]),
  );
  const loop = db.transaction((t: string) => {
    for (let i = 0; i < CHANGES; i++) flips[t].run(1 + (i % ROWS));
  });
  return rounds('SQLite', (t) => {
    const started = performance.now();
    loop(t);
    return Promise.resolve(performance.now() - started);
  }).finally(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

async function postgresRow(url: string): Promise<TriggerCostRow> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const sql of toggleTables('postgres')) await client.query(sql);
    return await rounds('PostgreSQL', async (t) => {
      // Two statements in one query: pg answers with one result each.
      const results = (await client.query(
        `DO $$ DECLARE started timestamptz := clock_timestamp(); BEGIN
           FOR i IN 0..${CHANGES - 1} LOOP
             UPDATE ${t} SET status = CASE status WHEN 'open' THEN 'closed' ELSE 'open' END,
               version = version + 1 WHERE id = 1 + i % ${ROWS};
           END LOOP;
           PERFORM set_config('bench.ms', (extract(epoch FROM clock_timestamp() - started) * 1000)::text, false);
         END $$; SELECT current_setting('bench.ms')::float AS ms`,
      )) as unknown as pg.QueryResult<{ ms: number }>[];
      return results[1].rows[0].ms;
    });
  } finally {
    await client.end();
  }
}

async function mysqlRow(url: string): Promise<TriggerCostRow> {
  const connection = await mysql.createConnection({ uri: url, multipleStatements: true });
  try {
    for (const sql of toggleTables('mysql')) await connection.query(sql);
    for (const t of TABLES) {
      await connection.query(
        `CREATE PROCEDURE flip_${t}() BEGIN
           DECLARE i INT DEFAULT 0;
           WHILE i < ${CHANGES} DO
             UPDATE ${t} SET status = CASE status WHEN 'open' THEN 'closed' ELSE 'open' END,
               version = version + 1 WHERE id = 1 + i % ${ROWS};
             SET i = i + 1;
           END WHILE;
         END`,
      );
    }
    return await rounds('MySQL', async (t) => {
      const started = performance.now();
      await connection.query(`CALL flip_${t}()`);
      return performance.now() - started;
    });
  } finally {
    await connection.end();
  }
}

export async function triggerCostBench(): Promise<{ rows: TriggerCostRow[]; skipped: string[] }> {
  const rows = [await sqlite()];
  const skipped: string[] = [];
  const server = postgres();
  if ('skip' in server) skipped.push(`PostgreSQL: ${server.skip}`);
  else {
    const db = await freshDatabase('tg_bench_trigger', server.url);
    try {
      rows.push(await postgresRow(db.url));
    } finally {
      await db.stop();
      server.stop();
    }
  }
  const maria = mysqlServer();
  if ('skip' in maria) skipped.push(`MySQL: ${maria.skip}`);
  else {
    const db = await freshMysqlDatabase('tg_bench_trigger', maria.url);
    try {
      rows.push(await mysqlRow(db.url));
    } finally {
      await db.stop();
      maria.stop();
    }
  }
  return { rows, skipped };
}

/** The table: µs per state change with and without the trigger, and what it adds. */
export function triggerCostTable(result: {
  rows: readonly TriggerCostRow[];
  skipped: readonly string[];
}): string {
  const out = [
    `### The machine trigger's cost on a state change (in the database, ${String(CHANGES)} changes x ${String(ROUNDS)} rounds, medians)\n`,
    '| database | µs per change, no trigger | with the trigger | added µs | added % |',
    '|---|---:|---:|---:|---:|',
    ...result.rows.map(
      (r) =>
        `| ${r.database} | ${r.plainMicros.toFixed(2)} | ${r.guardedMicros.toFixed(2)} | ${(r.guardedMicros - r.plainMicros).toFixed(2)} | ${(((r.guardedMicros - r.plainMicros) / r.plainMicros) * 100).toFixed(1)}% |`,
    ),
  ];
  for (const s of result.skipped) out.push(`\n${s} rows skipped`);
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(triggerCostTable(await triggerCostBench()));
}
