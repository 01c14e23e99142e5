/**
 * The store cannot be reached or failed mid-write (connection refused, dropped, database busy).
 * Nothing was written. The HTTP layer answers 503.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(
    readonly store: string,
    options: { cause: unknown },
  ) {
    super(
      `The ${store} store is unavailable: ${(options.cause as Error)?.message ?? String(options.cause)}`,
      options,
    );
  }
}

/** `changes` tried to set a column the store owns (state, version, id). A bug in the caller. */
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

/** Throws `ForbiddenChangesError` when `changes` names one of the `owned` fields. */
export function assertChangesAllowed(changes: object | undefined, owned: readonly string[]): void {
  if (!changes) return;
  const bad = Object.keys(changes).filter((k) => owned.includes(k) || k === '__proto__');
  if (bad.length) throw new ForbiddenChangesError(bad, owned);
}
