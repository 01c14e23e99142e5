import type { Logger } from '@nestjs/common';
import type { TransitionStore } from '../../store/index.js';
import { ResourceNotFoundException } from '../errors/request.exceptions.js';
import { callStore } from '../errors/store-failure.js';
import type { ResolvedTransitionGuardOptions } from '../module/options.js';
import type { RegisteredResource } from '../module/transition-registry.js';
import type { TransitionOutbox } from '../outbox/transition-outbox.js';
import type { CommitAttempt, Committed } from './commit-attempt.js';
import { asWritten } from './commit-attempt.js';
import type { CommitBase, CommitOptions } from './commit.types.js';
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
  for (let n = 1; ; n++) {
    const next = attempt.next(base, to, n, storeWritesMessages);
    const written = await callStore(how.logger, t.resource, `Committing ${t.event}`, () =>
      store.compareAndSet(
        t.id,
        { state: base.state, version: base.version },
        { state: to, changes: next.changes },
        {
          record: next.record,
          beforeCommit: next.beforeCommit,
          messages: next.messages,
          returning: options.returning,
        },
      ),
    );
    if (written.written) return { ...asWritten(next, written), row: written.row };
    // Lost the race: the row is not in the state (or version) the check saw. Reload, re-check.
    const fresh = await callStore(how.logger, t.resource, `Reloading ${t.id}`, () =>
      store.load(t.id),
    );
    if (!fresh) throw new ResourceNotFoundException(t.resource, t.id);
    const retry = recheck(entry, t, fresh, {
      checkedState: base.state,
      checkedVersion: base.version,
      attempt: n,
      pinned: attempt.exchange?.pinned,
      commit: how.commit,
    });
    how.logger.debug(`${t.resource} ${t.id}: ${t.event} lost a race (attempt ${n}); retrying`);
    base = { state: retry.from, context: fresh.context, version: fresh.version };
    to = retry.to;
  }
}

/** The row locked, re-checked under the lock, written: concurrent commits queue. */
export async function commitLocked(
  entry: RegisteredResource,
  commitLocked: NonNullable<TransitionStore['commitLocked']>,
  attempt: CommitAttempt,
  options: CommitOptions,
  how: CommitWays,
): Promise<Committed> {
  const { t } = attempt;
  let decided: Committed | undefined;
  const result = await callStore(how.logger, t.resource, `Committing ${t.event}`, () =>
    commitLocked(
      t.id,
      (current) => {
        const { from, to } = recheck(entry, t, current, {
          checkedState: t.from,
          checkedVersion: t.version,
          attempt: 1,
          pinned: attempt.exchange?.pinned,
          commit: how.commit,
        });
        const base = { state: from, context: current.context, version: current.version };
        const next = attempt.next(base, to, 1);
        decided = next;
        return {
          state: to,
          changes: next.changes,
          record: next.record,
          beforeCommit: next.beforeCommit,
        };
      },
      { returning: options.returning },
    ),
  );
  if (!result || !decided) throw new ResourceNotFoundException(t.resource, t.id);
  return { ...decided, row: result.row };
}
