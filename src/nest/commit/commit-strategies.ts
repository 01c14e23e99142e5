import type { Logger } from '@nestjs/common';
import type { StoredState } from '../../core/index.js';
import type { StoredResource, TransitionStore } from '../../store/index.js';
import { messages } from '../errors/messages.js';
import { IllegalTransitionException } from '../errors/illegal-transition.exception.js';
import { triggerRefusal } from '../../store/database-failures.js';
import { ResourceNotFoundException } from '../errors/request.exceptions.js';
import { callStore, storeFailure } from '../errors/store-failure.js';
import { settled } from '../../store/settled.js';
import type { ResolvedTransitionGuardOptions } from '../definition/options.js';
import type { RegisteredResource } from '../definition/transition-registry.js';
import type { TransitionOutbox } from '../outbox/transition-outbox.js';
import type { CommitAttempt, Committed } from './commit-attempt.js';
import { asWritten } from './commit-attempt.js';
import type { CommitBase, CommitOptions } from '../definition/commit.types.js';
import { recheck } from './recheck.js';

/** What the commit strategies use of the service: its logger, its outbox, the retry options. */
export interface CommitWays {
  readonly logger: Logger;
  readonly outbox: TransitionOutbox;
  readonly commit: ResolvedTransitionGuardOptions['commit'];
}

/** Compare-and-set; on a lost race, reload, re-check, retry (bounded) or answer. */
export async function commitOptimistic(
  entry: RegisteredResource,
  store: TransitionStore,
  attempt: CommitAttempt,
  options: CommitOptions,
  how: CommitWays,
): Promise<Committed> {
  const { t } = attempt;
  let base: CommitBase = { state: t.from, context: t.context, version: t.version };
  let to = t.to;
  const storeWritesMessages = how.outbox.writtenBy(store);
  const storeWritesTimers = attempt.timersWrittenBy(store);
  for (let n = 1; ; n++) {
    const next = attempt.next(base, to, n, storeWritesMessages, storeWritesTimers);
    const written = await compareAndSet(store, attempt, base, next, options, how);
    if (written) return written;
    // Lost the race: the row is not in the state (or version) the check saw. Reload, re-check.
    const fresh = await callStore(how.logger, t.resource, `Reloading ${t.id}`, () =>
      store.load(t.id),
    );
    if (!fresh) throw new ResourceNotFoundException(t.resource, t.id);
    const retry = recheck(
      entry,
      t,
      fresh,
      {
        checkedState: base.state,
        checkedVersion: base.version,
        attempt: n,
        pinned: attempt.exchange?.pinned,
        commit: how.commit,
      },
      how.logger,
    );
    how.logger.debug(`${t.resource} ${t.id}: ${t.event} lost a race (attempt ${n}); retrying`);
    base = { state: retry.from, context: fresh.context, version: fresh.version };
    to = retry.to;
  }
}

/**
 * One compare-and-set of `next` over `base` (the state, and the version when there is one): the
 * statement every optimistic commit sends. Undefined when the row no longer matched `base` (a
 * lost race, or no row).
 */
export function compareAndSet(
  store: TransitionStore,
  attempt: CommitAttempt,
  base: CommitBase,
  next: Committed,
  options: { readonly returning?: boolean },
  how: Pick<CommitWays, 'logger'>,
): Promise<Committed | undefined> {
  const { t } = attempt;
  // One frame for the write, its failure classified here (the label built only then).
  const failed = (err: unknown): never => {
    throw failedWrite(how.logger, t.resource, `Committing ${t.event}`, err, () => ({
      resource: t.resource,
      id: t.id,
      event: t.event,
      from: base.state,
      to: next.committed.to,
    }));
  };
  const writing = settled(() =>
    store.compareAndSet(
      t.id,
      { state: base.state, version: base.version },
      { state: next.committed.to, changes: next.changes },
      {
        record: next.record,
        beforeCommit: next.beforeCommit,
        messages: next.messages,
        timers: next.timers,
        fired: next.fired,
        returning: options.returning,
      },
    ),
  );
  return writing.then((written) => {
    if (!written.written) return undefined;
    const done = asWritten(next, written);
    return written.row === undefined ? done : { ...done, row: written.row };
  }, failed);
}

/** The move a write was making, for the 409 when the database's trigger refuses it. */
interface RefusedMove {
  readonly resource: string;
  readonly id: string;
  readonly event: string;
  readonly from: StoredState;
  readonly to: StoredState;
}

/** The 409 `database-refused` of a write a machine trigger refused (logged: trigger and app differ). */
function conflictOfRefusal(logger: Logger, move: RefusedMove): Error {
  logger.error(messages.triggerRefused(move.resource, move.id, move.event));
  return IllegalTransitionException.refusedByDatabase(
    {
      resource: move.resource,
      id: move.id,
      event: move.event,
      currentState: move.from,
      allowedEvents: [],
    },
    move.to,
  );
}

/**
 * What a failed write answers: a machine trigger's refusal becomes the 409 `database-refused`
 * (`move` says what the write was doing; undefined: it refused before deciding, answered as a
 * store failure), anything else as `storeFailure` maps it (503, or 500 with the cause logged).
 */
function failedWrite(
  logger: Logger,
  resource: string,
  action: string,
  err: unknown,
  move: () => RefusedMove | undefined,
): Error {
  const refused = triggerRefusal(err) ? move() : undefined;
  return refused ? conflictOfRefusal(logger, refused) : storeFailure(logger, resource, action, err);
}

/** What a commit under a row lock decided from the row it read: the attempt and the move. */
export interface LockedMove {
  readonly attempt: CommitAttempt;
  readonly from: StoredState;
  readonly to: StoredState;
}

/**
 * The pessimistic commit: in one transaction the row locked and read, `decide` gives the move
 * from it (throwing refuses: rolled back), the move written. Concurrent commits queue. 404 when
 * there is no row.
 */
export async function commitPessimistic(
  store: TransitionStore,
  where: { readonly resource: string; readonly id: string; readonly doing: string },
  decide: (current: StoredResource) => LockedMove,
  options: { readonly returning?: boolean },
  how: Pick<CommitWays, 'logger'>,
): Promise<{ attempt: CommitAttempt; done: Committed }> {
  const lock = store.commitLocked?.bind(store);
  if (!lock) throw new Error(messages.noLocking(where.resource));
  let decided: { attempt: CommitAttempt; next: Committed } | undefined;
  const movedBy = (d: typeof decided): RefusedMove | undefined =>
    d && {
      resource: d.attempt.t.resource,
      id: d.attempt.t.id,
      event: d.attempt.t.event,
      from: d.next.committed.from,
      to: d.next.committed.to,
    };
  let result: { readonly row?: unknown } | null;
  try {
    result = await lock(
      where.id,
      (current) => {
        const { attempt, from, to } = decide(current);
        const base = { state: from, context: current.context, version: current.version };
        const next = attempt.next(base, to, 1);
        decided = { attempt, next };
        return {
          state: to,
          changes: next.changes,
          record: next.record,
          beforeCommit: next.beforeCommit,
        };
      },
      { returning: options.returning },
    );
  } catch (err) {
    throw failedWrite(how.logger, where.resource, where.doing, err, () => movedBy(decided));
  }
  if (!result || !decided) throw new ResourceNotFoundException(where.resource, where.id);
  return { attempt: decided.attempt, done: { ...decided.next, row: result.row } };
}

/** The checked transition re-checked under the lock (it may have moved since the check). */
export function recheckedUnderLock(
  entry: RegisteredResource,
  attempt: CommitAttempt,
  current: StoredResource,
  how: Pick<CommitWays, 'commit' | 'logger'>,
): LockedMove {
  const { t } = attempt;
  const { from, to } = recheck(
    entry,
    t,
    current,
    {
      checkedState: t.from,
      checkedVersion: t.version,
      attempt: 1,
      pinned: attempt.exchange?.pinned,
      commit: how.commit,
    },
    how.logger,
  );
  return { attempt, from, to };
}
