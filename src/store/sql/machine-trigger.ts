import type { MachineLock } from '../../core/lock/machine-lock.js';
import { LOG_COLUMNS } from '../log-rows.js';
import { DIALECTS, quotePath, type DialectName, type SqlDialect } from './dialect.js';
import type { TableNames } from './sql-connection.js';

/** The prefix of every refusal the trigger raises; what the stores recognize. */
export const TRIGGER_REFUSAL = 'transition_guard:';
/** The SQLSTATE of a refusal on PostgreSQL. */
export const TRIGGER_SQLSTATE = 'TG409';
/** The table whose row lets a SQLite data fix through (the others use a session setting). */
export const SQLITE_BYPASS_TABLE = 'transition_guard_bypass';

/** The resource table a trigger guards, as the database names it. */
export interface TriggerTable {
  /** The resource, as log rows and errors name it (`order`). */
  readonly resource: string;
  /** The table (`schema.table` allowed). */
  readonly table: string;
  readonly id: string;
  readonly state: string;
  /** The version column: with `versionMustGrow`, a state change must increase it. */
  readonly version?: string;
  /** The transition log, when the resource keeps one: a bypassed change writes a row there. */
  readonly log?: TableNames;
}

/** What the trigger refuses besides an UPDATE whose (old state, new state) is not an edge. */
export interface TriggerOptions {
  /** Refuse an INSERT in a state that is not initial. Default true. */
  readonly refuseNonInitialInsert?: boolean;
  /** Refuse a state change that does not increase the version (needs `version`). Default false. */
  readonly versionMustGrow?: boolean;
}

/** The statements that install or remove a machine's trigger, each run on its own. */
export interface TriggerStatements {
  readonly install: readonly string[];
  readonly uninstall: readonly string[];
  /** The trigger (PostgreSQL: and function) name. */
  readonly name: string;
}

/**
 * The database enforcing the machine: a trigger that refuses an UPDATE changing the state
 * column along a pair (old, new) that is not an edge of the lock (guards ignored: the lock's
 * edges are the superset any guard might take), an INSERT in a state that is not initial, and
 * optionally a state change that does not increase the version. Refusals carry a stable code
 * (`transition_guard:illegal-transition` with JSON `{resource, from, to}`; SQLSTATE `TG409` on
 * PostgreSQL, `45000` on MySQL/MariaDB, a trigger constraint error on SQLite). A data fix goes
 * through with a reason, audited by a log row (actor `system:bypass`, the reason in `reason`):
 * `SET LOCAL transition_guard.bypass = 'reason'` (PostgreSQL), `SET @transition_guard_bypass =
 * 'reason'` (MySQL/MariaDB), a row in `transition_guard_bypass` inserted and deleted in the
 * fix's transaction (SQLite). The machine's hash is in the trigger's text.
 *
 * @example
 * const { install } = machineTriggerStatements('postgres', lockMachine(orderMachine), {
 *   resource: 'order', table: 'orders', id: 'id', state: 'status', version: 'version',
 * });
 * for (const sql of install) await dataSource.query(sql);
 */
export function machineTriggerStatements(
  dialectName: DialectName,
  lock: MachineLock,
  table: TriggerTable,
  options: TriggerOptions = {},
): TriggerStatements {
  const d = DIALECTS[dialectName];
  const name = triggerNameOf(table.table);
  const parts = new TriggerParts(d, lock, table, options);
  if (d.name === 'postgres') return postgres(parts, name);
  if (d.name === 'mysql') return mysql(parts, name);
  return sqlite(parts, name);
}

/** The trigger's (PostgreSQL: its function's) name for a table: `<table>_transition_guard`. */
export function triggerNameOf(table: string): string {
  return `${table.replace(/\W+/g, '_')}_transition_guard`.slice(0, 60);
}

/**
 * The query that reads the installed trigger's text (one row, column `body`; none when no
 * trigger is installed), from which `installedHash` reads the machine hash it was built from.
 */
export function installedTriggerQuery(dialect: SqlDialect, table: string): string {
  const name = triggerNameOf(table);
  const literal = (s: string) => dialect.literal(s);
  if (dialect.name === 'postgres') {
    return `SELECT prosrc AS body FROM pg_proc WHERE proname = ${literal(name)}`;
  }
  if (dialect.name === 'mysql') {
    return `SELECT ACTION_STATEMENT AS body FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME = ${literal(`${name}_update`.slice(0, 64))}`;
  }
  return `SELECT sql AS body FROM sqlite_master WHERE type = 'trigger' AND name = ${literal(`${name}_update`)}`;
}

/** The machine hash a trigger's text carries, or undefined. */
export function installedHash(body: unknown): string | undefined {
  return typeof body === 'string'
    ? /transition_guard machine=\S+ hash=(sha256:[0-9a-f]{64})/.exec(body)?.[1]
    : undefined;
}

/** The pieces every dialect's trigger is built from. */
class TriggerParts {
  readonly table: string;
  readonly state: string;
  readonly version: string | undefined;
  readonly signature: string;

  constructor(
    readonly d: SqlDialect,
    readonly lock: MachineLock,
    readonly t: TriggerTable,
    readonly options: TriggerOptions,
  ) {
    this.table = quotePath(d, t.table);
    this.state = d.quote(t.state);
    this.version = t.version === undefined ? undefined : d.quote(t.version);
    this.signature = `transition_guard machine=${lock.machine} hash=${lock.hash}`;
    if (options.versionMustGrow && !t.version) {
      throw new Error(
        `versionMustGrow needs the table's version column (${t.resource}: no version given)`,
      );
    }
  }

  literal(value: string): string {
    return this.d.literal(value);
  }

  /** The distinct (from, to) pairs of the lock's edges. */
  pairs(): [string, string][] {
    const seen = new Map<string, [string, string]>();
    for (const e of this.lock.edges) seen.set(`${e.from}\u0000${e.to}`, [e.from, e.to]);
    return [...seen.values()];
  }

  /**
   * True when (OLD.state, NEW.state) is an edge: `CASE OLD.state WHEN 'a' THEN NEW.state IN
   * ('b', 'c') ... ELSE false END`, a plain expression (no subquery: PostgreSQL evaluates it
   * on its fast path, and every database looks up the old state once).
   */
  isEdge(): string {
    const targets = new Map<string, string[]>();
    for (const [from, to] of this.pairs()) targets.set(from, [...(targets.get(from) ?? []), to]);
    if (!targets.size) return '1 = 0';
    const whens = [...targets].map(
      ([from, to]) =>
        `WHEN ${this.literal(from)} THEN NEW.${this.state} IN (${to.map((t) => this.literal(t)).join(', ')})`,
    );
    return `CASE OLD.${this.state} ${whens.join(' ')} ELSE 1 = 0 END`;
  }

  isInitial(): string {
    const initial = this.lock.initial.map((s) => this.literal(s)).join(', ');
    return initial ? `NEW.${this.state} IN (${initial})` : '1 = 0';
  }

  /** The log row of a bypassed change, or undefined without a log. */
  bypassLog(reason: string, at: string, id: string): string | undefined {
    const log = this.t.log;
    if (!log) return undefined;
    const values: Record<(typeof LOG_COLUMNS)[number], string> = {
      transitionId: 'NULL',
      resource: this.literal(this.t.resource),
      resourceId: id,
      event: this.literal('(bypass)'),
      from: `OLD.${this.state}`,
      to: `NEW.${this.state}`,
      version: this.version ? `NEW.${this.version}` : 'NULL',
      actor: this.literal('system:bypass'),
      at,
      reason,
      comment: 'NULL',
      metadata: 'NULL',
      machineVersion: 'NULL',
      correlationId: 'NULL',
    };
    const cols = LOG_COLUMNS.map((c) => this.d.quote(log.column(c))).join(', ');
    return `INSERT INTO ${quotePath(this.d, log.table)} (${cols}) VALUES (${LOG_COLUMNS.map((c) => values[c]).join(', ')})`;
  }

  /** The refusal's JSON detail, built by the database. */
  detail(json: string, kind: 'update' | 'insert'): string {
    const from = kind === 'insert' ? 'NULL' : `OLD.${this.state}`;
    return `${json}('resource', ${this.literal(this.t.resource)}, 'from', ${from}, 'to', NEW.${this.state})`;
  }
}

function postgres(p: TriggerParts, name: string): TriggerStatements {
  const fn = p.d.quote(name);
  const raise = (code: string, kind: 'update' | 'insert') =>
    `RAISE EXCEPTION USING ERRCODE = '${TRIGGER_SQLSTATE}', MESSAGE = '${TRIGGER_REFUSAL}${code}', DETAIL = ${p.detail('json_build_object', kind)}::text;`;
  const at = p.d.nowIso;
  const log = p.bypassLog('bypass', at, `OLD.${p.d.quote(p.t.id)}::text`);
  const lines = [
    `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $transition_guard$`,
    `DECLARE bypass text := current_setting('transition_guard.bypass', true);`,
    `BEGIN`,
    `  -- ${p.signature}`,
    `  IF TG_OP = 'INSERT' THEN`,
    ...(p.options.refuseNonInitialInsert === false
      ? []
      : [
          `    IF COALESCE(bypass, '') = '' AND NOT COALESCE(${p.isInitial()}, false) THEN ${raise('illegal-insert', 'insert')} END IF;`,
        ]),
    `    RETURN NEW;`,
    `  END IF;`,
    `  IF NEW.${p.state} IS NOT DISTINCT FROM OLD.${p.state} THEN RETURN NEW; END IF;`,
    `  IF COALESCE(bypass, '') <> '' THEN`,
    ...(log ? [`    ${log};`] : []),
    `    RETURN NEW;`,
    `  END IF;`,
    `  IF NOT COALESCE(${p.isEdge()}, false) THEN ${raise('illegal-transition', 'update')} END IF;`,
    ...(p.options.versionMustGrow && p.version
      ? [
          `  IF NOT COALESCE(NEW.${p.version} > OLD.${p.version}, false) THEN ${raise('version-not-increased', 'update')} END IF;`,
        ]
      : []),
    `  RETURN NEW;`,
    `END $transition_guard$`,
  ];
  return {
    name,
    install: [
      lines.join('\n'),
      `DROP TRIGGER IF EXISTS ${fn} ON ${p.table}`,
      `CREATE TRIGGER ${fn} BEFORE INSERT OR UPDATE OF ${p.state} ON ${p.table} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
    ],
    uninstall: [`DROP TRIGGER IF EXISTS ${fn} ON ${p.table}`, `DROP FUNCTION IF EXISTS ${fn}()`],
  };
}

function mysql(p: TriggerParts, name: string): TriggerStatements {
  const update = p.d.quote(`${name}_update`.slice(0, 64));
  const insert = p.d.quote(`${name}_insert`.slice(0, 64));
  const signal = (code: string, kind: 'update' | 'insert') =>
    `SET msg = CONCAT('${TRIGGER_REFUSAL}${code} ', ${p.detail('JSON_OBJECT', kind)}); SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = msg;`;
  const bypass = `COALESCE(@transition_guard_bypass, '') <> ''`;
  const at = p.d.nowIso;
  const log = p.bypassLog('@transition_guard_bypass', at, `CAST(OLD.${p.d.quote(p.t.id)} AS CHAR)`);
  const install = [
    `DROP TRIGGER IF EXISTS ${update}`,
    [
      `CREATE TRIGGER ${update} BEFORE UPDATE ON ${p.table} FOR EACH ROW`,
      `BEGIN`,
      `  DECLARE msg VARCHAR(1000);`,
      `  /* ${p.signature} */`,
      `  IF NOT (NEW.${p.state} <=> OLD.${p.state}) THEN`,
      `    IF ${bypass} THEN`,
      ...(log ? [`      ${log};`] : [`      SET msg = NULL;`]),
      `    ELSEIF NOT COALESCE(${p.isEdge()}, FALSE) THEN`,
      `      ${signal('illegal-transition', 'update')}`,
      ...(p.options.versionMustGrow && p.version
        ? [
            `    ELSEIF NOT COALESCE(NEW.${p.version} > OLD.${p.version}, FALSE) THEN`,
            `      ${signal('version-not-increased', 'update')}`,
          ]
        : []),
      `    END IF;`,
      `  END IF;`,
      `END`,
    ].join('\n'),
  ];
  const uninstall = [`DROP TRIGGER IF EXISTS ${update}`, `DROP TRIGGER IF EXISTS ${insert}`];
  if (p.options.refuseNonInitialInsert !== false) {
    install.push(
      `DROP TRIGGER IF EXISTS ${insert}`,
      [
        `CREATE TRIGGER ${insert} BEFORE INSERT ON ${p.table} FOR EACH ROW`,
        `BEGIN`,
        `  DECLARE msg VARCHAR(1000);`,
        `  /* ${p.signature} */`,
        `  IF NOT (${bypass}) AND NOT COALESCE(${p.isInitial()}, FALSE) THEN`,
        `    ${signal('illegal-insert', 'insert')}`,
        `  END IF;`,
        `END`,
      ].join('\n'),
    );
  }
  return { name, install, uninstall };
}

function sqlite(p: TriggerParts, name: string): TriggerStatements {
  const update = p.d.quote(`${name}_update`);
  const insert = p.d.quote(`${name}_insert`);
  const bypassTable = p.d.quote(SQLITE_BYPASS_TABLE);
  const bypassed = `EXISTS (SELECT 1 FROM ${bypassTable})`;
  const raise = (code: string, kind: 'update' | 'insert') =>
    `RAISE(ABORT, '${TRIGGER_REFUSAL}${code} ' || ${p.detail('json_object', kind)})`;
  const at = p.d.nowIso;
  const log = p.bypassLog(
    `(SELECT ${p.d.quote('reason')} FROM ${bypassTable} LIMIT 1)`,
    at,
    `CAST(OLD.${p.d.quote(p.t.id)} AS TEXT)`,
  );
  const install = [
    `CREATE TABLE IF NOT EXISTS ${bypassTable} (${p.d.quote('reason')} TEXT NOT NULL)`,
    `DROP TRIGGER IF EXISTS ${update}`,
    [
      `CREATE TRIGGER ${update} BEFORE UPDATE OF ${p.state} ON ${p.table} FOR EACH ROW`,
      `WHEN NEW.${p.state} IS NOT OLD.${p.state}`,
      `BEGIN`,
      `  /* ${p.signature} */`,
      // The edge test first: a legal change (the usual one) skips the bypass table's lookup.
      `  SELECT ${raise('illegal-transition', 'update')} WHERE NOT COALESCE(${p.isEdge()}, 0) AND NOT ${bypassed};`,
      ...(p.options.versionMustGrow && p.version
        ? [
            `  SELECT ${raise('version-not-increased', 'update')} WHERE NOT COALESCE(NEW.${p.version} > OLD.${p.version}, 0) AND NOT ${bypassed};`,
          ]
        : []),
      ...(log ? [`  ${log.replace(/ VALUES \((.*)\)$/s, ' SELECT $1')} WHERE ${bypassed};`] : []),
      `END`,
    ].join('\n'),
  ];
  const uninstall = [`DROP TRIGGER IF EXISTS ${update}`, `DROP TRIGGER IF EXISTS ${insert}`];
  if (p.options.refuseNonInitialInsert !== false) {
    install.push(
      `DROP TRIGGER IF EXISTS ${insert}`,
      [
        `CREATE TRIGGER ${insert} BEFORE INSERT ON ${p.table} FOR EACH ROW`,
        `WHEN NOT ${bypassed} AND NOT COALESCE(${p.isInitial()}, 0)`,
        `BEGIN`,
        `  /* ${p.signature} */`,
        `  SELECT ${raise('illegal-insert', 'insert')};`,
        `END`,
      ].join('\n'),
    );
  }
  return { name, install, uninstall };
}
