import { classifyDatabaseError, neverSent, refusedByServer } from '../database-failures.js';
import { settled } from '../settled.js';
import { StoreUnavailableError, type WriteOutcome } from '../store-errors.js';
import type { RunMode, SqlConnection, SqlQueries } from './sql-connection.js';

/** How long a store looks for the outcome of an in-doubt commit before it answers `unknown`. */
export const IN_DOUBT_CHECK_MS = 3000;

/** Milliseconds between two checks while the database does not answer. */
const CHECK_PAUSE_MS = 150;

/** What a check of an in-doubt write found: the write as it was committed, or no answer. */
export type InDoubtFinding<T> = { readonly committed: T } | { readonly outcome: WriteOutcome };

/**
 * Runs a write; when its connection fails at or after the commit (the COMMIT sent, or a
 * statement that commits on its own sent), asks the database what happened instead of guessing.
 * `check` runs in a locked transaction on a fresh connection (the row lock waits for the failed
 * transaction to end, if the server still runs it) and says whether the write was committed;
 * it is retried while the database does not answer, for at most `IN_DOUBT_CHECK_MS`. The write
 * then returns what it committed, or fails with `StoreUnavailableError` whose `outcome` is
 * `not-applied` (checked; or nothing was sent; or the database refused the statement with an
 * error of its own, which rolled it back) or `unknown` (the
 * database could not be asked in time). A failure that is not an outage, or a write inside the
 * app's transaction (whose commit is the app's), is rethrown as it was.
 */
export function writeResolvingDoubt<T>(
  connection: SqlConnection,
  call: (mode: RunMode, work: (q: SqlQueries) => Promise<T>) => Promise<T>,
  mode: RunMode,
  work: (q: SqlQueries) => Promise<T>,
  check: (q: SqlQueries) => Promise<InDoubtFinding<T>>,
): Promise<T> {
  // Whether the commit may have been sent: a statement run alone commits itself once it starts;
  // a transaction commits once the work is done. (No async frames: this is on every write.)
  const progress = { sent: false };
  const tracked =
    mode === 'plain'
      ? (q: SqlQueries) => {
          progress.sent = true;
          return work(q);
        }
      : (q: SqlQueries) =>
          work(q).then((result) => {
            progress.sent = true;
            return result;
          });
  return settled(() => call(mode, tracked)).catch(async (err: unknown) => {
    if (
      !(err instanceof StoreUnavailableError) ||
      !progress.sent ||
      neverSent(err) ||
      refusedByServer(err) ||
      connection.inAppTransaction?.()
    ) {
      throw err;
    }
    const found = await checkUntil(connection, check, Date.now() + IN_DOUBT_CHECK_MS);
    if ('committed' in found) return found.committed;
    throw new StoreUnavailableError(err.store, { cause: err.cause, outcome: found.outcome });
  });
}

async function checkUntil<T>(
  connection: SqlConnection,
  check: (q: SqlQueries) => Promise<InDoubtFinding<T>>,
  deadline: number,
): Promise<InDoubtFinding<T>> {
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return { outcome: 'unknown' };
    try {
      return await within(connection.run('locked', check), left);
    } catch (err) {
      // A bug or a constraint is not an outage: asking again would not help.
      if (!(err instanceof CheckTimeout) && classifyDatabaseError(err) === undefined) {
        return { outcome: 'unknown' };
      }
    }
    await new Promise((r) => setTimeout(r, Math.min(CHECK_PAUSE_MS, deadline - Date.now())));
  }
}

class CheckTimeout extends Error {}

/** `work`, or a `CheckTimeout` after `ms` (the work then ends on its own, unheard). */
function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new CheckTimeout());
    }, ms);
  });
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => {
    clearTimeout(timer);
  });
}
