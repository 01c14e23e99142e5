import { StoreUnavailableError } from './store-errors.js';

/** Node's network error codes that mean the database cannot be reached. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
/** PostgreSQL SQLSTATE codes of an unavailable server: class 08 and these. */
const PG_CODES = new Set(['57P01', '57P02', '57P03', '53300', '53100', '58030']);
/** The ORMs' own errors for a connection that is not there (any more). */
const TYPEORM_NAMES = new Set([
  'CannotExecuteNotConnectedError',
  'ConnectionIsNotSetError',
  'ConnectionNotFoundError',
  'QueryRunnerAlreadyReleasedError',
  // TypeORM 1.x: a query through the manager of a transaction whose connection was lost.
  'QueryRunnerProviderAlreadyReleasedError',
]);
/** Prisma driver adapters' error kinds of a database that cannot be reached. */
const PRISMA_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TlsConnectionError',
]);
/** Prisma's own codes: cannot reach, timed out, connection closed, no connection from the pool. */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const MESSAGES =
  /not (been )?initialized|Driver not Connected|Unable to acquire a connection|Cannot use a pool after calling end|Connection terminated|Connection ended|connection is not (established|open)|Query runner already released|connection provided by a query runner was already released|Client has encountered a connection error|database is locked|disk I\/O error/i;

/**
 * Whether an error from an ORM (TypeORM, Drizzle, Prisma) or its driver means the database is unavailable (rather than a
 * bug or a constraint): network errors, PostgreSQL's connection and shutdown classes, SQLite's
 * `SQLITE_BUSY`, `SQLITE_LOCKED`, `SQLITE_IOERR_*`, `SQLITE_READONLY*`, `SQLITE_CANTOPEN`,
 * `SQLITE_FULL`, `SQLITE_NOTADB`, TypeORM's "not connected" and "query runner already released"
 * errors, Prisma's P1001, P1002, P1008, P1017 and P2024, and the driver adapters' unreachable
 * kinds (the codes they carry in `meta.driverAdapterError`).
 *
 * @example
 * isUnavailable(Object.assign(new Error('read-only'), { code: 'SQLITE_READONLY_DBMOVED' })); // true
 */
export function isUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 6; depth++) {
    const { code, originalCode, kind, name, message } = e as Record<string, unknown>;
    for (const c of [code, originalCode]) {
      if (typeof c === 'string' && unavailableCode(c)) return true;
    }
    if (typeof kind === 'string' && PRISMA_ADAPTER_KINDS.has(kind)) return true;
    if (typeof name === 'string' && TYPEORM_NAMES.has(name)) return true;
    if (typeof message === 'string' && MESSAGES.test(message)) return true;
    const next = e as {
      cause?: unknown;
      driverError?: unknown;
      meta?: { driverAdapterError?: unknown };
    };
    e = next.driverError ?? next.meta?.driverAdapterError ?? next.cause;
  }
  return false;
}

function unavailableCode(code: string): boolean {
  if (NETWORK_CODES.has(code) || PG_CODES.has(code) || PRISMA_CODES.has(code)) return true;
  if (code.startsWith('08')) return true;
  return /^SQLITE_(BUSY|LOCKED|IOERR|READONLY|CANTOPEN|FULL|PROTOCOL|NOTADB)/.test(code);
}

/**
 * Runs a database call for a store named `store`; an unavailable database becomes
 * `StoreUnavailableError`, anything else is rethrown as it is.
 */
export async function callDatabase<T>(store: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isUnavailable(err)) throw new StoreUnavailableError(store, { cause: err });
    throw err;
  }
}
