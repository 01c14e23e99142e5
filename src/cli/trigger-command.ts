import type { MachineLock } from '../core/index.js';
import { logColumnName } from '../store/log-rows.js';
import { machineTriggerStatements, type TriggerTable } from '../store/sql/machine-trigger.js';
import type { DialectName } from '../store/sql/dialect.js';
import { CliInputError } from './load-machine-file.js';

/** The resource table's options `trigger` and `migrate` share, as commander parses them. */
export interface TableCliOptions {
  readonly dialect: DialectName;
  readonly table: string;
  readonly state: string;
  readonly id: string;
  readonly version?: string;
  readonly resource?: string;
  readonly log?: string;
  readonly versionMustGrow?: boolean;
  readonly anyInsert?: boolean;
}

/** The options of `transition-guard trigger`, as commander parses them. */
export interface TriggerCliOptions extends TableCliOptions {
  readonly uninstall?: boolean;
  readonly machine?: string;
  readonly format: 'sql' | 'json';
}

/** The table the options name (the log's columns as the library's log table names them). */
export function tableOfCli(lock: MachineLock, opts: TableCliOptions): TriggerTable {
  return {
    resource: opts.resource ?? lock.machine,
    table: opts.table,
    id: opts.id,
    state: opts.state,
    version: opts.version,
    log: opts.log ? { table: opts.log, column: logColumnName } : undefined,
  };
}

/** The trigger's statements for the options: the SQL core's, for the lock and the table. */
export function triggerStatementsOfCli(lock: MachineLock, opts: TableCliOptions) {
  if (opts.versionMustGrow && !opts.version) {
    throw new CliInputError('--version-must-grow needs --version <column>');
  }
  return machineTriggerStatements(opts.dialect, lock, tableOfCli(lock, opts), {
    versionMustGrow: opts.versionMustGrow,
    refuseNonInitialInsert: !opts.anyInsert,
  });
}

/** The statements `trigger` prints: the SQL core's, for the lock and the named columns. */
export function triggerForCli(lock: MachineLock, opts: TriggerCliOptions): readonly string[] {
  const statements = triggerStatementsOfCli(lock, opts);
  return opts.uninstall ? statements.uninstall : statements.install;
}

/**
 * Statements as a script the database's own client runs: `;` after each, and on MySQL/MariaDB
 * a `DELIMITER` around trigger bodies (their `;` would end the statement early).
 */
export function formatStatements(dialect: DialectName, statements: readonly string[]): string {
  if (dialect !== 'mysql') return statements.map((s) => `${s};`).join('\n\n');
  return statements
    .map((s) => (s.includes('\n') ? `DELIMITER //\n${s} //\nDELIMITER ;` : `${s};`))
    .join('\n\n');
}
