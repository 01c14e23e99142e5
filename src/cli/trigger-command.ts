import type { MachineLock } from '../core/index.js';
import { machineTriggerStatements } from '../store/sql/machine-trigger.js';
import type { DialectName } from '../store/sql/dialect.js';
import { CliInputError } from './load-machine-file.js';

/** The options of `transition-guard trigger`, as commander parses them. */
export interface TriggerCliOptions {
  readonly dialect: DialectName;
  readonly table: string;
  readonly state: string;
  readonly id: string;
  readonly version?: string;
  readonly resource?: string;
  readonly log?: string;
  readonly versionMustGrow?: boolean;
  readonly anyInsert?: boolean;
  readonly uninstall?: boolean;
  readonly machine?: string;
  readonly format: 'sql' | 'json';
}

/** The statements `trigger` prints: the SQL core's, for the lock and the named columns. */
export function triggerForCli(lock: MachineLock, opts: TriggerCliOptions): readonly string[] {
  if (opts.versionMustGrow && !opts.version) {
    throw new CliInputError('--version-must-grow needs --version <column>');
  }
  const statements = machineTriggerStatements(
    opts.dialect,
    lock,
    {
      resource: opts.resource ?? lock.machine,
      table: opts.table,
      id: opts.id,
      state: opts.state,
      version: opts.version,
      log: opts.log
        ? {
            table: opts.log,
            column: (p) => (p === 'from' ? 'from_state' : p === 'to' ? 'to_state' : p),
          }
        : undefined,
    },
    { versionMustGrow: opts.versionMustGrow, refuseNonInitialInsert: !opts.anyInsert },
  );
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
