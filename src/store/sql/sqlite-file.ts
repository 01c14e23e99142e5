import { statSync, watch, type FSWatcher } from 'node:fs';
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
  /** The file may have changed since its last `stat` (its watcher fired, or there is none). */
  dirty: boolean;
  /** When the file was last compared (ms), for the once-a-second comparison. */
  checkedAt: number;
  /** A watcher marks the file dirty; without one, every write compares it. */
  watched?: boolean;
}

/** The longest a file goes without a `stat` while calls write (where its watcher stays silent). */
const RECHECK_MS = 1000;

/** Closes a file's watcher once its connection scope is gone. */
const watchers = new FinalizationRegistry<FSWatcher>((w) => {
  w.close();
});

/** Per connection scope: its file once located, or the lookup under way. */
const files = new WeakMap<object, SqliteFile | Promise<SqliteFile>>();

/**
 * Runs a store's call on its connection (see `callDatabase`: outages become
 * `StoreUnavailableError`, lost deadlocks run again). On SQLite, first checks that the database
 * file is still the one the connection opened: SQLite in WAL mode keeps writing to a file that
 * was deleted or replaced under it (every write answered, every write lost at the next start).
 * The path comes from `PRAGMA database_list` once per connection; a call that may write then
 * compares the file's device and inode with a `stat` when the file's watcher (`fs.watch`,
 * inotify on Linux) saw it change since the last comparison, and at least once a second, or on
 * every call where no watcher can be set. A `stat` costs 5 to 20 µs on the benchmark's machine:
 * once per write, it was a fifth of the library's own cost on a request. A call marked
 * `readOnly` is not checked (a read of the old file loses nothing, and the write after it is).
 * A file removed or replaced is an outage until the process restarts: 503, never a success for
 * a write nobody will see again.
 */
export function callSql<T>(
  connection: SqlConnection,
  store: string,
  mode: RunMode,
  work: (q: SqlQueries) => Promise<T>,
  options?: { readonly retryConflicts?: boolean; readonly readOnly?: boolean },
): Promise<T> {
  const call = () => callDatabase(store, () => connection.run(mode, work), options);
  if (connection.dialect.name !== 'sqlite' || options?.readOnly) return call();
  const scope = connection.scope;
  const seen = typeof scope === 'object' && scope !== null ? files.get(scope) : undefined;
  // Located already: checked without a promise of its own.
  if (!seen || seen instanceof Promise) return locateOnce(connection, store).then(call);
  try {
    checkFile(seen, store);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  return call();
}

/** The first call on a connection: its file located (once), then checked. */
async function locateOnce(connection: SqlConnection, store: string): Promise<void> {
  const scope = connection.scope;
  if (typeof scope !== 'object' || scope === null) return;
  let seen = files.get(scope);
  if (!seen) {
    const lookup = locate(connection, store);
    seen = lookup;
    files.set(scope, lookup);
    lookup.then(
      (file) => {
        files.set(scope, file);
        const watcher = watchFile(file);
        if (watcher) watchers.register(scope, watcher);
      },
      // A failed first look is tried again by the next call.
      () => files.delete(scope),
    );
  }
  checkFile(await seen, store);
}

function checkFile(file: SqliteFile, store: string): void {
  if (file.path === undefined) return;
  if (!file.lost && (file.dirty || Date.now() - file.checkedAt > RECHECK_MS)) {
    const now = statSync(file.path, { throwIfNoEntry: false });
    if (!now) file.lost = 'removed';
    else if (now.ino !== file.ino || now.dev !== file.dev) file.lost = 'replaced by another file';
    file.checkedAt = Date.now();
    file.dirty = !file.watched;
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
  // In memory: nothing to lose.
  if (path === undefined) return { path, dev: 0, ino: 0, dirty: false, checkedAt: 0 };
  const { dev, ino } = statSync(path);
  return { path, dev, ino, dirty: true, checkedAt: 0 };
}

/**
 * Marks the file dirty on any change to it (a rename, a removal, its link count): the next write
 * compares it. The event is queued when the file changes, so a request sent after that is
 * handled after it. None (every write compares) where the platform cannot watch the file.
 */
function watchFile(file: SqliteFile): FSWatcher | undefined {
  if (file.path === undefined) return undefined;
  try {
    const watcher = watch(file.path, { persistent: false }, () => {
      file.dirty = true;
    });
    watcher.on('error', () => {
      file.watched = false;
      file.dirty = true;
    });
    file.watched = true;
    file.dirty = true; // changes between the lookup and the watch: compared once more
    return watcher;
  } catch {
    return undefined;
  }
}
