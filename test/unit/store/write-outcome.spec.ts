import { neverSent, refusedByServer } from '../../../src/store/database-failures.js';
import { StoreUnavailableError } from '../../../src/store/index.js';

/**
 * Which failed writes are known not to have been applied (so a store answers "not applied" at
 * once) and which leave the outcome in doubt (so it asks the database). Errors as the drivers
 * raise them: node-postgres (SQLSTATE `code`), mysql2 (`errno`, `sqlState`), Prisma's driver
 * adapters (`kind`, `code` under `cause`), TypeORM (`driverError`).
 */
const pg = (code: string) => Object.assign(new Error(`pg ${code}`), { code });
const mysql = (errno: number, code: string) =>
  Object.assign(new Error(code), { errno, code, sqlState: 'HY000' });

describe('what a failed write did', () => {
  it('never reached the database: refused, unknown host, no connection from the pool in time', () => {
    expect(neverSent(pg('ECONNREFUSED'))).toBe(true);
    expect(neverSent(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(neverSent({ name: 'PrismaClientKnownRequestError', code: 'P2028' })).toBe(true);
    expect(neverSent(mysql(1040, 'ER_CON_COUNT_ERROR'))).toBe(true);
    expect(neverSent(new StoreUnavailableError('order', { cause: pg('ECONNREFUSED') }))).toBe(true);
    expect(neverSent(pg('ECONNRESET'))).toBe(false);
    expect(neverSent(new Error('Connection terminated unexpectedly'))).toBe(false);
  });

  it('refused by the server (rolled back): read-only, lock and statement timeouts, MySQL lock wait', () => {
    for (const code of ['25006', '55P03', '57014', '40001', '23505']) {
      expect({ code, refused: refusedByServer(pg(code)) }).toEqual({ code, refused: true });
    }
    expect(refusedByServer(mysql(1205, 'ER_LOCK_WAIT_TIMEOUT'))).toBe(true);
    expect(refusedByServer(mysql(1290, 'ER_OPTION_PREVENTS_STATEMENT'))).toBe(true);
    // Through TypeORM's and Prisma's wrappers.
    expect(refusedByServer({ name: 'QueryFailedError', driverError: pg('25006') })).toBe(true);
    expect(refusedByServer({ cause: { kind: 'postgres', code: '55P03' } })).toBe(true);
  });

  it('in doubt: connection lost, server shut down, session killed, client errors', () => {
    for (const code of ['08006', '57P01', '57P02', 'ECONNRESET', 'EPIPE', 'P1017']) {
      expect({ code, refused: refusedByServer(pg(code)) }).toEqual({ code, refused: false });
    }
    expect(refusedByServer(mysql(2013, 'CR_SERVER_LOST'))).toBe(false);
    expect(refusedByServer(mysql(1053, 'ER_SERVER_SHUTDOWN'))).toBe(false);
    expect(refusedByServer({ cause: { kind: 'mysql', code: 45009 } })).toBe(false);
    expect(refusedByServer(new Error('socket has unexpectedly been closed'))).toBe(false);
  });
});
