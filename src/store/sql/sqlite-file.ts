import { statSync } from 'node:fs';
import { callDatabase } from '../database-failures.js';
import { StoreUnavailableError } from '../store-errors.js';
import { plainRow, type RunMode, type SqlConnection, type SqlQueries } from './sql-connection.js';

/** A SQLite database file as first seen: its path, and the file that path named then. */
interface SqliteFile {
  readonly path: string | undefined;
  readonly dev: number;
  readonly ino: number;
  /** Set once the file was seen removed or replaced: every later call fails the same way. */
  lost?: string;
}

const files = new WeakMap<object, Promise<SqliteFile>>();

/**
 * Runs a store's call on its connection (see `callDatabase`: outages become
 * `StoreUnavailableError`, lost deadlocks run again). On SQLite, first checks that the database
 * file is still the one the connection opened: SQLite in WAL mode keeps writing to a file that
 * was deleted or replaced under it (every write answered, every write lost at the next start).
 * The path comes from `PRAGMA database_list` once per connection; each call then compares the
 * file's device and inode (one `stat`, a few microseconds). A file removed or replaced is an
 * outage until the process restarts: 503, never a success for a write nobody will see again.
 */
export async function callSql<T>(
  connection: SqlConnection,
  store: string,
  mode: RunMode,
  work: (q: SqlQueries) => Promise<T>,
  options?: { readonly retryConflicts?: boolean },
): Promise<T> {
  if (connection.dialect.name === 'sqlite') await checkFile(connection, store);
  return callDatabase(store, () => connection.run(mode, work), options);
}

async function checkFile(connection: SqlConnection, store: string): Promise<void> {
  const scope = connection.scope;
  if (typeof scope !== 'object' || scope === null) return;
  let seen = files.get(scope);
  if (!seen) {
    seen = locate(connection, store);
    files.set(scope, seen);
    // A failed first look is tried again by the next call.
    seen.catch(() => files.delete(scope));
  }
  const file = await seen;
  if (file.path === undefined) return;
  if (!file.lost) {
    try {
      const now = statSync(file.path);
      if (now.ino !== file.ino || now.dev !== file.dev) file.lost = 'replaced by another file';
    } catch {
      file.lost = 'removed';
    }
  }
  if (file.lost) {
    throw new StoreUnavailableError(store, {
      cause: new Error(
        `the SQLite database file ${file.path} was ${file.lost} while the process had it open; ` +
          'writes now would be lost: restore the file and restart the process',
      ),
    });
  }
}

async function locate(connection: SqlConnection, store: string): Promise<SqliteFile> {
  const rows = await callDatabase(store, () =>
    connection.run('plain', (q) => q.query('PRAGMA database_list', [])),
  );
  const main = rows.map(plainRow).find((r) => r.name === 'main');
  const path = typeof main?.file === 'string' && main.file !== '' ? main.file : undefined;
  if (path === undefined) return { path, dev: 0, ino: 0 }; // in memory: nothing to lose
  const { dev, ino } = statSync(path);
  return { path, dev, ino };
}
