import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import { lockMachine, type MachineLock } from '../../src/core/index.js';
import { allNodes } from '../../src/core/machine-index.js';
import {
  installedHash,
  installedTriggerQuery,
  machineTriggerStatements,
  SQLITE_BYPASS_TABLE,
} from '../../src/store/sql/machine-trigger.js';
import { DIALECTS } from '../../src/store/sql/dialect.js';
import { articleMachine } from '../../machines/article.implementations.js';
import { orderMachine } from '../../machines/order.machine.js';
import { ticketMachine } from '../../machines/ticket.machine.js';
import { randomMachine } from '../property/random-machine.js';
import { DATABASE_NAMES, serverUrl, tierDatabases, type Database } from '../support/databases.js';
import { rawSql, type RawSql } from '../support/raw-sql.js';

/**
 * The database enforcing the machine: for every example machine and 200 random ones, every
 * (state, state) pair as a raw UPDATE is accepted iff it is an edge of the machine's lock, and
 * refused with the coded error otherwise; INSERTs in a non-initial state are refused; a
 * bypass with a reason lets a data fix through and logs it.
 */
const RANDOM = 200;
const TABLE = `tg_trigger_${process.pid}`;
const LOG = `tg_trigger_log_${process.pid}`;

/**
 * The example machines and random ones whose every guard outcome XState can compute: a `*`
 * wildcard also catches done events, so those random machines can loop (XState throws), and
 * machines over 24 stored states are left out to bound the pairs.
 */
let chosen: { name: string; machine: AnyStateMachine; lock: MachineLock }[] | undefined;
function machines(): { name: string; machine: AnyStateMachine; lock: MachineLock }[] {
  if (chosen) return chosen;
  const out = [orderMachine, articleMachine, ticketMachine].map((m) => ({
    name: m.id,
    machine: m as AnyStateMachine,
    lock: lockMachine(m as AnyStateMachine),
  }));
  for (let seed = 1; out.length < 3 + RANDOM; seed++) {
    const { machine } = randomMachine(seed);
    if (allNodes(machine.root).some((n) => n.transitions.has('*'))) continue;
    const lock = lockMachine(machine, { maxRuns: 500 });
    if (lock.problems.length || lock.states.length > 24) continue;
    out.push({ name: `random seed ${String(seed)}`, machine, lock });
  }
  return (chosen = out);
}

function connect(db: Database): RawSql {
  if (db === 'sqlite')
    return rawSql('sqlite', join(mkdtempSync(join(tmpdir(), 'tg-trig-')), 'db.sqlite'));
  return rawSql(db, serverUrl(db));
}

describe.each(tierDatabases('sqlite', 'postgres', 'mysql'))('machine triggers on %s', (db) => {
  let sql: RawSql;
  const dialect = db;
  beforeAll(async () => {
    sql = connect(db);
    // Thousands of one-row commits: the file need not reach the disk each time.
    if (db === 'sqlite') await sql.query('PRAGMA synchronous = OFF');
  });
  afterAll(async () => {
    await sql.query(`DROP TABLE IF EXISTS ${sql.q(TABLE)}`);
    await sql.query(`DROP TABLE IF EXISTS ${sql.q(LOG)}`);
    await sql.end();
  });

  const serial =
    db === 'postgres'
      ? 'serial PRIMARY KEY'
      : db === 'mysql'
        ? 'integer AUTO_INCREMENT PRIMARY KEY'
        : 'integer PRIMARY KEY';

  async function freshTable(): Promise<void> {
    await sql.query(`DROP TABLE IF EXISTS ${sql.q(TABLE)}`);
    await sql.query(
      `CREATE TABLE ${sql.q(TABLE)} (${sql.q('id')} ${serial}, ${sql.q('state')} varchar(1000) NOT NULL, ${sql.q('version')} integer NOT NULL)`,
    );
  }

  it(`accepts a raw UPDATE iff (old, new) is an edge, on the example machines and ${String(RANDOM)} random ones (${DATABASE_NAMES[db]})`, async () => {
    let updates = 0;
    for (const { name, lock } of machines()) {
      await freshTable();
      const pairs = lock.states.flatMap((from) =>
        lock.states.filter((to) => to !== from).map((to) => [from, to] as const),
      );
      if (!pairs.length) continue;
      // Rows in every state, before the trigger exists (it refuses non-initial INSERTs).
      const values = pairs.map((_, i) => `(${sql.p(i + 1)}, 0)`).join(', ');
      await sql.query(
        `INSERT INTO ${sql.q(TABLE)} (${sql.q('state')}, ${sql.q('version')}) VALUES ${values}`,
        pairs.map(([from]) => from),
      );
      const rows = await sql.query<{ id: number; state: string }>(
        `SELECT ${sql.q('id')}, ${sql.q('state')} FROM ${sql.q(TABLE)} ORDER BY ${sql.q('id')}`,
      );
      const trigger = machineTriggerStatements(dialect, lock, {
        resource: 'thing',
        table: TABLE,
        id: 'id',
        state: 'state',
        version: 'version',
      });
      for (const statement of trigger.install) await sql.query(statement);
      const edges = new Set(lock.edges.map((e) => `${e.from}\u0000${e.to}`));
      const refusals = new Map<number, Error>();
      // Two at a time (the pool's size): each pair is its own row and its own UPDATE.
      for (let i = 0; i < pairs.length; i += 2) {
        await Promise.all(
          pairs.slice(i, i + 2).map(async ([, to], k) => {
            const row = rows[i + k];
            try {
              await sql.query(
                `UPDATE ${sql.q(TABLE)} SET ${sql.q('state')} = ${sql.p(1)}, ${sql.q('version')} = ${sql.q('version')} + 1 WHERE ${sql.q('id')} = ${sql.p(2)}`,
                [to, row.id],
              );
            } catch (err) {
              refusals.set(row.id, err as Error);
            }
          }),
        );
      }
      updates += pairs.length;
      const after = await sql.query<{ id: number; state: string }>(
        `SELECT ${sql.q('id')}, ${sql.q('state')} FROM ${sql.q(TABLE)} ORDER BY ${sql.q('id')}`,
      );
      for (const [i, [from, to]] of pairs.entries()) {
        const row = rows[i];
        expect(row.state).toBe(from);
        const refusal = refusals.get(row.id);
        if (edges.has(`${from}\u0000${to}`)) {
          if (refusal)
            throw new Error(
              `${name}: ${from} -> ${to} is an edge but was refused: ${refusal.message}`,
            );
          expect(after[i].state).toBe(to);
        } else {
          if (!refusal) throw new Error(`${name}: ${from} -> ${to} is no edge but was accepted`);
          expect(refusal.message).toContain('transition_guard:illegal-transition');
          if (db === 'postgres') expect((refusal as { code?: string }).code).toBe('TG409');
          expect(after[i].state).toBe(from);
        }
      }
    }
    expect(updates).toBeGreaterThan(2000);
    // PostgreSQL takes ~205 s of this alone on a 2-core machine (6 s for SQLite and MariaDB):
    // with the full tier's other suites beside it, it outran 300 s once.
  }, 900_000);

  it(`refuses non-initial INSERTs and versions that do not grow; a bypass with a reason goes through and is logged (${DATABASE_NAMES[db]})`, async () => {
    await freshTable();
    await sql.query(`DROP TABLE IF EXISTS ${sql.q(LOG)}`);
    await sql.query(
      `CREATE TABLE ${sql.q(LOG)} (${sql.q('id')} ${serial}, ${sql.q('transitionId')} varchar(36), ${sql.q('resource')} varchar(100) NOT NULL, ${sql.q('resourceId')} varchar(128) NOT NULL, ` +
        `${sql.q('event')} varchar(256) NOT NULL, ${sql.q('from_state')} varchar(1024) NOT NULL, ${sql.q('to_state')} varchar(1024) NOT NULL, ${sql.q('version')} integer, ${sql.q('actor')} varchar(256), ` +
        `${sql.q('at')} varchar(40) NOT NULL, ${sql.q('reason')} varchar(200), ${sql.q('comment')} varchar(2000), ${sql.q('metadata')} text, ${sql.q('machineVersion')} varchar(16), ${sql.q('correlationId')} varchar(128))`,
    );
    const lock = lockMachine(orderMachine);
    const trigger = machineTriggerStatements(
      dialect,
      lock,
      {
        resource: 'order',
        table: TABLE,
        id: 'id',
        state: 'state',
        version: 'version',
        log: {
          table: LOG,
          column: (p) => (p === 'from' ? 'from_state' : p === 'to' ? 'to_state' : p),
        },
      },
      { versionMustGrow: true },
    );
    for (const statement of trigger.install) await sql.query(statement);
    // What the bootstrap compares with the machine: the hash the installed trigger carries.
    const [installed] = await sql.query<{ body: unknown }>(
      installedTriggerQuery(DIALECTS[dialect], TABLE),
    );
    expect(
      installedHash(
        Buffer.isBuffer(installed.body) ? installed.body.toString('utf8') : installed.body,
      ),
    ).toBe(lock.hash);
    const t = sql.q(TABLE);
    await expect(
      sql.query(`INSERT INTO ${t} (${sql.q('state')}, ${sql.q('version')}) VALUES ('shipped', 0)`),
    ).rejects.toThrow(/transition_guard:illegal-insert/);
    await sql.query(
      `INSERT INTO ${t} (${sql.q('state')}, ${sql.q('version')}) VALUES ('pending', 0)`,
    );
    const [{ id }] = await sql.query<{ id: number }>(`SELECT ${sql.q('id')} FROM ${t}`);
    const set = (state: string, version: string) =>
      `UPDATE ${t} SET ${sql.q('state')} = '${state}', ${sql.q('version')} = ${version} WHERE ${sql.q('id')} = ${String(id)}`;
    await expect(sql.query(set('paid', sql.q('version')))).rejects.toThrow(
      /transition_guard:version-not-increased/,
    );
    await sql.query(set('paid', `${sql.q('version')} + 1`));
    await expect(sql.query(set('pending', `${sql.q('version')} + 1`))).rejects.toThrow(
      /transition_guard:illegal-transition/,
    );
    // A data fix: paid -> pending with a reason, in one transaction (one connection).
    const fix = [
      ...(db === 'postgres'
        ? [`BEGIN`, `SET LOCAL transition_guard.bypass = 'refund reversed, ticket 77'`]
        : db === 'mysql'
          ? [`SET @transition_guard_bypass = 'refund reversed, ticket 77'`]
          : [
              `BEGIN`,
              `INSERT INTO ${sql.q(SQLITE_BYPASS_TABLE)} (${sql.q('reason')}) VALUES ('refund reversed, ticket 77')`,
            ]),
      set('pending', `${sql.q('version')} + 1`),
      ...(db === 'postgres'
        ? [`COMMIT`]
        : db === 'mysql'
          ? [`SET @transition_guard_bypass = NULL`]
          : [`DELETE FROM ${sql.q(SQLITE_BYPASS_TABLE)}`, `COMMIT`]),
    ];
    await sql.session(fix);
    const [row] = await sql.query<{ state: string }>(`SELECT ${sql.q('state')} FROM ${t}`);
    expect(row.state).toBe('pending');
    const logged = await sql.query(`SELECT * FROM ${sql.q(LOG)}`);
    expect(logged).toEqual([
      expect.objectContaining({
        resource: 'order',
        resourceId: String(id),
        event: '(bypass)',
        from_state: 'paid',
        to_state: 'pending',
        version: 2,
        actor: 'system:bypass',
        reason: 'refund reversed, ticket 77',
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/),
      }),
    ]);
    // Without the bypass again: refused.
    await expect(sql.query(set('shipped', `${sql.q('version')} + 1`))).rejects.toThrow(
      /transition_guard:illegal-transition/,
    );
    for (const statement of trigger.uninstall) await sql.query(statement);
    expect(await sql.query(installedTriggerQuery(DIALECTS[dialect], TABLE))).toEqual([]);
    await sql.query(set('shipped', sql.q('version')));
  });
});
