/** The SQL databases the stores run on. */
export type DialectName = 'sqlite' | 'postgres' | 'mysql';

/**
 * What differs between the databases in the statements the stores run: quoting, placeholders,
 * and what each can do in one statement. Every statement is built from these in the SQL core
 * (`transition-statements.ts`, `idempotency-statements.ts`, `outbox-statements.ts`); an ORM
 * adapter never writes SQL.
 */
export interface SqlDialect {
  readonly name: DialectName;
  /** An identifier, quoted: `"name"` (SQLite, PostgreSQL), `` `name` `` (MySQL). */
  quote(identifier: string): string;
  /** The n-th parameter's placeholder (1-based): `$1` on PostgreSQL, `?` elsewhere. */
  placeholder(n: number): string;
  /**
   * `UPDATE`, `DELETE` and `INSERT` can return the rows they wrote (`RETURNING`): SQLite and
   * PostgreSQL. MySQL and MariaDB 10 cannot: the stores read the row in the write's transaction.
   */
  readonly returning: boolean;
  /**
   * Row locks (`SELECT ... FOR UPDATE`): PostgreSQL and MySQL. SQLite locks the database: a
   * locked transaction takes the write lock first (`BEGIN IMMEDIATE`).
   */
  readonly rowLocks: boolean;
  /**
   * Statements that modify data can be chained in one statement (data-modifying CTEs): the
   * compare-and-set, its log row and its outbox messages in one round trip. PostgreSQL only.
   */
  readonly writesInOneStatement: boolean;
  /**
   * An INSERT that does nothing on a duplicate key: `ON CONFLICT DO NOTHING` (SQLite,
   * PostgreSQL); undefined on MySQL, where the stores catch the duplicate-key error instead
   * (`INSERT IGNORE` would also turn a value too long for its column into a silent truncation).
   */
  readonly onConflictDoNothing: string | undefined;
  /** An `integer` key column holds 64-bit values (SQLite): ids are checked against that range. */
  readonly integersAre64Bit: boolean;
  /**
   * `DELETE ... LIMIT n` (MySQL). Elsewhere a bounded delete names its rows in a subquery, which
   * MySQL refuses on the table being deleted from.
   */
  readonly deleteLimit: boolean;
  /** A string literal: quotes doubled (and backslashes on MySQL, where they escape). */
  literal(value: string): string;
  /** The database clock now, as the ISO-8601 UTC text the log's `at` column holds. */
  readonly nowIso: string;
  /**
   * The database clock now, in epoch milliseconds (a 64-bit integer), one value per statement (on
   * PostgreSQL, per transaction: `now()`): what timers are due by, so that app instances whose
   * clocks disagree fire them alike.
   */
  readonly nowMs: string;
}

const doubleQuote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const singleQuote = (value: string): string => `'${value.replace(/'/g, "''")}'`;

export const SQLITE: SqlDialect = {
  name: 'sqlite',
  quote: doubleQuote,
  placeholder: () => '?',
  returning: true,
  rowLocks: false,
  writesInOneStatement: false,
  onConflictDoNothing: 'ON CONFLICT DO NOTHING',
  integersAre64Bit: true,
  deleteLimit: false,
  literal: singleQuote,
  nowIso: `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
  nowMs: `CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)`,
};

export const POSTGRES: SqlDialect = {
  name: 'postgres',
  quote: doubleQuote,
  placeholder: (n) => `$${n}`,
  returning: true,
  rowLocks: true,
  writesInOneStatement: true,
  onConflictDoNothing: 'ON CONFLICT DO NOTHING',
  integersAre64Bit: false,
  deleteLimit: false,
  literal: singleQuote,
  nowIso: `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  nowMs: `CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT)`,
};

export const MYSQL: SqlDialect = {
  name: 'mysql',
  quote: (name) => `\`${name.replace(/`/g, '``')}\``,
  placeholder: () => '?',
  returning: false,
  rowLocks: true,
  writesInOneStatement: false,
  onConflictDoNothing: undefined,
  integersAre64Bit: false,
  deleteLimit: true,
  literal: (value) => singleQuote(value.replace(/\\/g, '\\\\')),
  nowIso: `DATE_FORMAT(UTC_TIMESTAMP(3), '%Y-%m-%dT%H:%i:%s.%fZ')`,
  nowMs: `CAST(UNIX_TIMESTAMP(CURRENT_TIMESTAMP(3)) * 1000 AS SIGNED)`,
};

/** The dialect of a name. */
export const DIALECTS: Readonly<Record<DialectName, SqlDialect>> = {
  sqlite: SQLITE,
  postgres: POSTGRES,
  mysql: MYSQL,
};

/** A table path (`schema.table`), each part quoted. */
export function quotePath(dialect: SqlDialect, path: string): string {
  return path
    .split('.')
    .map((part) => dialect.quote(part))
    .join('.');
}
