/**
 * What a failed write did to the database: `not-applied`, nothing was written (the failure came
 * before the commit, or the store checked after it); `unknown`, the connection failed after the
 * commit was sent and the store could not find out in time whether it was applied.
 */
export type WriteOutcome = 'not-applied' | 'unknown';

/**
 * The store cannot be reached or failed mid-write (connection refused or dropped, database busy,
 * disk read-only). `outcome` says whether anything was written: `not-applied` (the default), or
 * `unknown` when the connection failed after the commit was sent and the store could not check
 * (the SQL stores check the transition log on a fresh connection first). The HTTP layer answers
 * 503 with `Retry-After` and the outcome.
 *
 * @example
 * // In a store of your own: a connection error means "retry later", not "bug".
 * if (err.code === 'ECONNREFUSED') throw new StoreUnavailableError('order', { cause: err });
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly outcome: WriteOutcome;
  constructor(
    readonly store: string,
    options: { cause: unknown; outcome?: WriteOutcome },
  ) {
    const outcome = options.outcome ?? 'not-applied';
    super(
      `The ${store} store is unavailable${outcome === 'unknown' ? ' (the outcome of the commit is unknown)' : ''}: ${(options.cause as Error | undefined)?.message ?? String(options.cause)}`,
      { cause: options.cause },
    );
    this.outcome = outcome;
  }
}

/** `changes` tried to set a column the store owns (state, version, id). A bug in the caller. *
 * @example
 * await transitions.commit(t, { status: 'shipped' });
 * // throws ForbiddenChangesError: commit() changes may not set 'status': the store owns status, id, version ...
 */
export class ForbiddenChangesError extends Error {
  override readonly name = 'ForbiddenChangesError';
  constructor(
    readonly fields: readonly string[],
    owned: readonly string[],
  ) {
    super(
      `commit() changes may not set ${fields.map((f) => `'${f}'`).join(', ')}: the store owns ${owned.join(', ')} ` +
        `(the state comes from the machine, the version is incremented by the write). Remove ${fields.length === 1 ? 'it' : 'them'} from the changes.`,
    );
  }
}

/**
 * The attempt no longer holds its idempotency key (its lease ended and a retry took the key
 * over). Thrown inside the commit's transaction, so the state change rolls back: one key, one
 * execution.
 *
 * @example
 * // In an IdempotencyStore of your own, inside the commit's transaction:
 * if (updatedRows !== 1) throw new IdempotencyKeyLostError(key);
 */
export class IdempotencyKeyLostError extends Error {
  override readonly name = 'IdempotencyKeyLostError';
  constructor(readonly key: string) {
    super(
      `Idempotency-Key '${key}' is no longer held by this request (its lease ended and a retry took it over); nothing was committed`,
    );
  }
}

/**
 * A due timer's firing found its timer gone from its claim, inside the firing's transaction: a
 * transition disarmed it (its state was left) or its lease ran out and another loop fired it.
 * Thrown from the commit's hooks, it rolls the firing back.
 *
 * @example
 * // In a TimerStore of your own, inside the firing's transaction:
 * if (deletedRows !== 1) throw new TimerGoneError('order', '42', timer);
 */
export class TimerGoneError extends Error {
  override readonly name = 'TimerGoneError';
  constructor(
    readonly resource: string,
    readonly resourceId: string,
    readonly timer: string,
  ) {
    super(
      `${resource} ${resourceId}: timer ${timer} was disarmed or taken before it fired; nothing was committed`,
    );
  }
}

/** Throws `ForbiddenChangesError` when `changes` names one of the `owned` fields. */
export function assertChangesAllowed(changes: object | undefined, owned: readonly string[]): void {
  if (!changes) return;
  const bad = Object.keys(changes).filter((k) => owned.includes(k) || k === '__proto__');
  if (bad.length) throw new ForbiddenChangesError(bad, owned);
}
