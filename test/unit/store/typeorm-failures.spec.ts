import {
  CannotExecuteNotConnectedError,
  QueryFailedError,
  QueryRunnerProviderAlreadyReleasedError,
} from 'typeorm';
import { StoreUnavailableError } from '../../../src/store/index.js';
import { isUnavailable } from '../../../src/store/index.js';
import { callDatabase } from '../../../src/store/database-failures.js';
import { createRequire } from 'node:module';

// Prisma 7's own error classes (CommonJS): what its client and driver adapters throw.
const require = createRequire(import.meta.url);
const { PrismaClientKnownRequestError } = require('@prisma/client/runtime/client') as {
  PrismaClientKnownRequestError: new (
    message: string,
    options: { code: string; clientVersion: string; meta?: Record<string, unknown> },
  ) => Error;
};
const { DriverAdapterError } = require('@prisma/driver-adapter-utils') as {
  DriverAdapterError: new (cause: { kind: string; [key: string]: unknown }) => Error;
};
const prisma = (code: string, meta?: Record<string, unknown>) =>
  new PrismaClientKnownRequestError(`prisma ${code}`, { code, clientVersion: '7.10.0', meta });

/** Which errors mean "the database is down" (503) and which are bugs or constraints (500, 4xx). */
const driver = (code: string) =>
  new QueryFailedError('SELECT 1', [], Object.assign(new Error(code), { code }));

describe('isUnavailable', () => {
  it.each([
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ],
    ['PostgreSQL shutting down (57P01)', driver('57P01')],
    ['a PostgreSQL connection failure (08006)', driver('08006')],
    ['SQLite busy', driver('SQLITE_BUSY')],
    ['SQLite read-only', driver('SQLITE_READONLY_DBMOVED')],
    ['TypeORM not connected', new CannotExecuteNotConnectedError()],
    // A transaction's manager used after its connection was lost (TypeORM 1.x), seen in the
    // PostgreSQL outage test.
    ['a released query runner', new QueryRunnerProviderAlreadyReleasedError()],
    ["Prisma's server unreachable (P1001)", prisma('P1001')],
    ["Prisma's connection pool timeout (P2024)", prisma('P2024')],
    [
      'a Prisma driver adapter that cannot reach the database',
      new DriverAdapterError({ kind: 'DatabaseNotReachable', host: 'db', port: 5432 }),
    ],
    [
      'a Prisma error carrying a closed connection from its adapter',
      prisma('P2010', { driverAdapterError: new DriverAdapterError({ kind: 'ConnectionClosed' }) }),
    ],
    [
      "a Prisma adapter error with PostgreSQL's shutdown code",
      new DriverAdapterError({ kind: 'postgres', code: '57P01', originalCode: '57P01' }),
    ],
  ])('is true for %s', (_what, error) => {
    expect(isUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', driver('23505')],
    ['a syntax error', driver('42601')],
    ['a SQLite constraint', driver('SQLITE_CONSTRAINT_UNIQUE')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ["Prisma's unique violation (P2002)", prisma('P2002')],
    [
      'a Prisma adapter error for a unique violation',
      new DriverAdapterError({ kind: 'UniqueConstraintViolation', constraint: { fields: ['id'] } }),
    ],
  ])('is false for %s', (_what, error) => {
    expect(isUnavailable(error)).toBe(false);
  });

  it('turns only unavailability into StoreUnavailableError', async () => {
    await expect(
      callDatabase('order', () => Promise.reject(new QueryRunnerProviderAlreadyReleasedError())),
    ).rejects.toBeInstanceOf(StoreUnavailableError);
    const bug = driver('42601');
    await expect(callDatabase('order', () => Promise.reject(bug))).rejects.toBe(bug);
  });
});
