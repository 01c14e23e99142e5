import { settled } from './settled.js';
import { StoreUnavailableError } from './store-errors.js';

/**
 * What a driver error means to a store, whichever ORM and driver raised it:
 * - `unavailable`: the database cannot serve the call now (down, unreachable, restarting, read
 *   only after a failover, out of connections, a lock or statement timeout): a 503, retry later;
 * - `conflict`: the transaction lost a deadlock or a serialization check and was rolled back
 *   whole: running it again is safe;
 * - `duplicate`: a unique key refused an INSERT.
 * Anything else is a bug or a constraint, not classified.
 */
export type DatabaseFailure = 'unavailable' | 'conflict' | 'duplicate';

/** Node's network error codes that mean the database cannot be reached. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ECONNABORTED',
]);

/**
 * PostgreSQL SQLSTATE codes: class 08 (connection) and these: admin shutdown, crash shutdown,
 * cannot connect now, too many connections, out of memory, system errors, read-only transaction
 * (a standby after a failover), lock not available (`lock_timeout`), query canceled
 * (`statement_timeout`), idle session timeout.
 */
const PG_UNAVAILABLE = new Set([
  '57P01',
  '57P02',
  '57P03',
  '57P05',
  '53300',
  '53100',
  '53200',
  '58030',
  '25006',
  '55P03',
  '57014',
]);
/** PostgreSQL: serialization failure, deadlock detected. */
const PG_CONFLICT = new Set(['40001', '40P01']);

/**
 * MySQL and MariaDB error numbers: too many connections, server shutdown, read-only
 * (`--read-only`, a read-only transaction), lock wait timeout, query interrupted, statement
 * timeouts (MySQL's and MariaDB's), and the client's lost or unreachable server; the MariaDB
 * connector's own (Prisma's MariaDB adapter): a connection closed, destroyed or timed out, a
 * socket error, a pool closed or out of connections in time.
 */
const MYSQL_UNAVAILABLE = new Set([
  1040, 1053, 1290, 1792, 1205, 1317, 3024, 1969, 2002, 2003, 2006, 2013, 2055, 1927, 4031, 45001,
  45004, 45009, 45012, 45013, 45019, 45026, 45027, 45028, 45035, 45037,
]);
const MYSQL_UNAVAILABLE_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_OPTION_PREVENTS_STATEMENT',
  'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_QUERY_INTERRUPTED',
  'ER_QUERY_TIMEOUT',
  'ER_STATEMENT_TIMEOUT',
  'ER_CONNECTION_KILLED',
  'ER_SOCKET_UNEXPECTED_CLOSE',
  'ER_GET_CONNECTION_TIMEOUT',
  'ER_POOL_ALREADY_CLOSED',
  'ER_CONNECTION_ALREADY_CLOSED',
  'ER_CMD_CONNECTION_CLOSED',
]);
/** MySQL: deadlock found; MariaDB: a record changed since the transaction read it. */
const MYSQL_CONFLICT = new Set([1213, 1020]);

/** The ORMs' own errors for a connection that is not there (any more). */
const TYPEORM_NAMES = new Set([
  'CannotExecuteNotConnectedError',
  'ConnectionIsNotSetError',
  'ConnectionNotFoundError',
  'QueryRunnerAlreadyReleasedError',
  // TypeORM 1.x: a query through the manager of a transaction whose connection was lost.
  'QueryRunnerProviderAlreadyReleasedError',
]);
/** Prisma driver adapters' error kinds of a database that cannot serve the call. */
const PRISMA_ADAPTER_UNAVAILABLE = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TlsConnectionError',
  'TransactionAlreadyClosed',
]);
const PRISMA_ADAPTER_CONFLICT = new Set(['TransactionWriteConflict']);
/**
 * Prisma's own codes: cannot reach, timed out, connection closed, no connection from the pool,
 * a transaction that could not start in time (P2028), a write conflict or deadlock (P2034).
 */
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
const PRISMA_CONFLICT = new Set(['P2034']);
const MESSAGES =
  /not (been )?initialized|Driver not Connected|Unable to acquire a connection|Cannot use a pool after calling end|Connection terminated|Connection ended|connection is not (established|open)|socket has unexpectedly been closed|Query runner already released|connection provided by a query runner was already released|Client has encountered a connection error|database is locked|disk I\/O error|timeout exceeded when trying to connect|Unable to start a transaction in the given time|Knex: Timeout acquiring a connection|pool is (probably full|closed)|Can't add new command when connection is in closed state|connection is closed/i;

/**
 * What a driver error means (see `DatabaseFailure`), looking through the wrappers the ORMs put
 * around it (`driverError`, Prisma's `meta.driverAdapterError`, `cause`), or undefined.
 */
export function classifyDatabaseError(err: unknown): DatabaseFailure | undefined {
  return throughWrappers(err, classifyOne);
}

/**
 * Errors of a call that never reached the database: no connection could be opened (refused,
 * unknown host, too many connections, the server starting) or taken from the pool in time. A
 * write that failed so wrote nothing, whatever the statement was.
 */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'P1001',
  'P2024',
  'P2028',
  '57P03',
  '53300',
  'ER_CON_COUNT_ERROR',
  'ER_GET_CONNECTION_TIMEOUT',
  'ER_POOL_ALREADY_CLOSED',
  'DatabaseNotReachable',
  'TooManyConnections',
]);
/** MySQL: too many connections, cannot connect; MariaDB connector: pool closed or empty in time. */
const MYSQL_NOT_SENT = new Set([1040, 2002, 2003, 45027, 45028, 45035, 45037]);
const NOT_SENT_MESSAGES =
  /timeout exceeded when trying to connect|Unable to start a transaction in the given time|Knex: Timeout acquiring a connection|Unable to acquire a connection|Cannot use a pool after calling end|pool is (probably full|closed)/i;

/**
 * Whether a failed call never reached the database (see `NOT_SENT_CODES`): its write cannot
 * have been applied. Any other failure of a write whose statement or COMMIT was sent leaves its
 * outcome in doubt until the database is asked.
 */
export function neverSent(err: unknown): boolean {
  return (
    throughWrappers(err, (e) => {
      const { code, errno, kind, message } = e;
      if (typeof code === 'string' && NOT_SENT_CODES.has(code)) return true;
      if (typeof kind === 'string' && NOT_SENT_CODES.has(kind)) return true;
      for (const n of [errno, kind === 'mysql' ? code : undefined]) {
        if (typeof n === 'number' && MYSQL_NOT_SENT.has(n)) return true;
      }
      if (typeof message === 'string' && NOT_SENT_MESSAGES.test(message)) return true;
      return undefined;
    }) ?? false
  );
}

/**
 * Whether the database answered a statement with an error of its own (read-only, a lock or
 * statement timeout, a constraint, a serialization failure): the statement, or the transaction
 * it ran in, was rolled back. Not a refusal: a lost connection, a server shutting down or a
 * session killed (PostgreSQL's class 08 and 57P0x, MySQL's 1053, 1317, 1927 and its client
 * errors from 2000), where the server may have committed before it went.
 */
export function refusedByServer(err: unknown): boolean {
  return (
    throughWrappers(err, (e) => {
      const { code, errno, kind, sqlState } = e;
      // MySQL error numbers first: their SQLSTATE (HY000) says little.
      for (const n of [errno, kind === 'mysql' ? code : undefined]) {
        if (typeof n !== 'number') continue;
        // Server errors are 1000-1999 (and 3000 up on MySQL 8); client errors (2000s, the MariaDB
        // connector's 45000s) mean the connection failed.
        if (n >= 1000 && n < 2000) return n !== 1053 && n !== 1317 && n !== 1927;
        return n >= 3000 && n < 45000;
      }
      for (const c of [code, sqlState]) {
        if (typeof c !== 'string' || !/^[0-9A-Z]{5}$/.test(c) || !/\d/.test(c)) continue;
        if (/^P[12]\d{3}$/.test(c)) continue; // Prisma's own codes, not SQLSTATEs
        if (kind !== undefined && kind !== 'postgres' && c === code) continue;
        return !c.startsWith('08') && !c.startsWith('57P0');
      }
      return undefined;
    }) ?? false
  );
}

/** What a machine's database trigger refused (`machineTriggerStatements`), by its stable code. */
export type TriggerRefusal = 'illegal-transition' | 'illegal-insert' | 'version-not-increased';

/**
 * The refusal of a machine trigger installed in the database (`transition-guard trigger`), read
 * from the error's message through the ORM's wrappers, or undefined for any other error.
 */
export function triggerRefusal(err: unknown): TriggerRefusal | undefined {
  return throughWrappers(err, (e) => {
    const match =
      typeof e.message === 'string'
        ? /transition_guard:(illegal-transition|illegal-insert|version-not-increased)/.exec(
            e.message,
          )
        : null;
    return match ? (match[1] as TriggerRefusal) : undefined;
  });
}

/** The first answer of `look` on the error or the errors it wraps (ORM, driver, cause). */
function throughWrappers<T>(
  err: unknown,
  look: (e: Record<string, unknown>) => T | undefined,
): T | undefined {
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 8; depth++) {
    const found = look(e as Record<string, unknown>);
    if (found !== undefined) return found;
    const next = e as {
      cause?: unknown;
      driverError?: unknown;
      meta?: { driverAdapterError?: unknown };
    };
    e = next.driverError ?? next.meta?.driverAdapterError ?? next.cause;
  }
  return undefined;
}

function classifyOne(e: Record<string, unknown>): DatabaseFailure | undefined {
  const { code, originalCode, errno, kind, name, message } = e;
  for (const c of [code, originalCode]) {
    if (typeof c !== 'string') continue;
    if (NETWORK_CODES.has(c) || PRISMA_UNAVAILABLE.has(c) || MYSQL_UNAVAILABLE_CODES.has(c)) {
      return 'unavailable';
    }
    if (/^[0-9A-Z]{5}$/.test(c)) {
      if (c.startsWith('08') || PG_UNAVAILABLE.has(c)) return 'unavailable';
      if (PG_CONFLICT.has(c)) return 'conflict';
      if (c === '23505') return 'duplicate';
    }
    if (PRISMA_CONFLICT.has(c) || c === 'ER_LOCK_DEADLOCK') return 'conflict';
    if (c === 'ER_DUP_ENTRY' || c === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'duplicate';
    if (c === 'SQLITE_CONSTRAINT_UNIQUE' || c === 'P2002') return 'duplicate';
    if (/^SQLITE_(BUSY|LOCKED|IOERR|READONLY|CANTOPEN|FULL|PROTOCOL|NOTADB)/.test(c)) {
      return 'unavailable';
    }
  }
  // MySQL error numbers: mysql2 and the mariadb connector give `errno`; Prisma's MariaDB
  // adapter a numeric `code` under `kind: 'mysql'`.
  for (const n of [errno, kind === 'mysql' ? code : undefined]) {
    if (typeof n !== 'number') continue;
    if (MYSQL_UNAVAILABLE.has(n)) return 'unavailable';
    if (MYSQL_CONFLICT.has(n)) return 'conflict';
    if (n === 1062) return 'duplicate';
  }
  if (kind === 'postgres' && typeof code === 'string') {
    if (code.startsWith('08') || PG_UNAVAILABLE.has(code)) return 'unavailable';
    if (PG_CONFLICT.has(code)) return 'conflict';
  }
  if (typeof kind === 'string') {
    if (PRISMA_ADAPTER_UNAVAILABLE.has(kind)) return 'unavailable';
    if (PRISMA_ADAPTER_CONFLICT.has(kind)) return 'conflict';
    if (kind === 'UniqueConstraintViolation') return 'duplicate';
  }
  if (typeof name === 'string' && TYPEORM_NAMES.has(name)) return 'unavailable';
  if (typeof message === 'string' && MESSAGES.test(message)) return 'unavailable';
  return undefined;
}

/**
 * Whether an error from an ORM (TypeORM, Drizzle, Prisma, MikroORM) or its driver means the
 * database cannot serve the call now, rather than a bug or a constraint: network errors, a
 * server shutting down or restarting, too many connections, a pool that gave no connection in
 * time, a read-only database, lock and statement timeouts (PostgreSQL's classes 08, 57P0x,
 * 25006, 55P03, 57014; MySQL's and MariaDB's 1040, 1053, 1205, 1290, 2006, 2013, ...), SQLite's
 * busy, locked, I/O, read-only and full errors, TypeORM's "not connected" errors, Prisma's P1001,
 * P1002, P1008, P1017, P2024 and P2028. Give it to the module's `isStoreUnavailable` option so
 * that your own routes answer 503 for them too.
 *
 * @example
 * isUnavailable(Object.assign(new Error('read-only'), { code: 'SQLITE_READONLY_DBMOVED' })); // true
 */
export function isUnavailable(err: unknown): boolean {
  return classifyDatabaseError(err) === 'unavailable';
}

/** How many times a store runs a transaction that lost a deadlock or serialization check. */
const CONFLICT_ATTEMPTS = 3;

/**
 * Runs a database call for a store named `store`: a transaction of its own that lost a deadlock
 * runs again (it was rolled back whole), a few times; an unavailable database, or a conflict that
 * persists, becomes `StoreUnavailableError` (503, retry later); anything else is rethrown. Inside
 * the app's transaction (`retryConflicts: false`), a conflict rolled back more than this call:
 * it is answered at once.
 */
export function callDatabase<T>(
  store: string,
  call: () => Promise<T>,
  options: { readonly retryConflicts?: boolean } = {},
): Promise<T> {
  return attempted(store, call, options.retryConflicts === false ? 1 : CONFLICT_ATTEMPTS, 1);
}

/** One attempt of `callDatabase` (no async frame: every store call goes through it). */
function attempted<T>(
  store: string,
  call: () => Promise<T>,
  attempts: number,
  attempt: number,
): Promise<T> {
  return settled(call).catch((err: unknown) => {
    const failure = classifyDatabaseError(err);
    if (failure === 'conflict' && attempt < attempts) {
      return attempted(store, call, attempts, attempt + 1);
    }
    if (failure === 'unavailable' || failure === 'conflict') {
      throw new StoreUnavailableError(store, { cause: err });
    }
    throw err;
  });
}
