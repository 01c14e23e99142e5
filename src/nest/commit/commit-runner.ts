import type { Logger } from '@nestjs/common';
import type { JoinedTransaction, TransitionRecord } from '../../store/index.js';
import { checkAudit } from '../definition/audit-fields.js';
import type { CheckedTransition } from '../definition/checked-transition.js';
import type {
  CommitOptions,
  CommitResult,
  TransitionChanges,
  TransitionListener,
} from '../definition/commit.types.js';
import type { TransitionRegistry } from '../definition/transition-registry.js';
import { messages } from '../errors/messages.js';
import type { TransitionOutbox } from '../outbox/transition-outbox.js';
import type { TransitionTimers } from '../timers/transition-timers.js';
import { CommitAttempt, type Committed } from './commit-attempt.js';
import { TransitionExchange } from './transition-exchange.js';

/** A value now, or once what must follow it has run. */
export type NowOrLater<T> = T | Promise<T>;

/**
 * What every commit of `TransitionService` runs around its statement, whatever the strategy: an
 * attempt per call (the transition not yet committed, its hooks, its audit, its outbox messages),
 * and, once written, the settlement (the exchange learns the result, the relay is nudged, the
 * afterCommit hooks run: inside the app's transaction, when that one commits).
 */
export class CommitRunner {
  private readonly listeners: TransitionListener[] = [];

  constructor(
    private readonly registry: TransitionRegistry,
    private readonly outbox: TransitionOutbox,
    private readonly logger: Logger,
    private readonly timers: TransitionTimers,
  ) {}

  /** Registers hooks; returns a function that removes them. */
  listen(listener: TransitionListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** What one commit call writes with, once its transition is known to be uncommitted. */
  attemptOf<TContext, TChanges extends object>(
    t: CheckedTransition<TContext, unknown, TChanges>,
    changes: TransitionChanges<TContext, TChanges> | undefined,
    options: CommitOptions,
  ) {
    const entry = this.registry.get(t.resource);
    const store = entry?.store;
    if (!entry || !store) throw new Error(messages.noStore(t.resource));
    const exchange = TransitionExchange.of(t);
    if (exchange?.committed) throw new Error(messages.committedTwice(t.resource, t.id, t.event));
    const audit = options.audit && checkAudit(options.audit, codeAuditError);
    const attempt = new CommitAttempt(t, exchange, this.hooksFor(t), changes, {
      machineVersion: entry.machineVersion,
      audit,
      outbox: this.outbox,
      timers: this.timers.of(entry.timers),
    });
    return { entry, store, attempt };
  }

  /**
   * After the write: the exchange learns what was committed, the outbox relay is nudged, the
   * afterCommit hooks run; inside the app's transaction, when that one commits. The result comes
   * at once when no hook runs now, else once they have run.
   */
  settle(
    attempt: CommitAttempt,
    done: Committed,
    joined: JoinedTransaction | undefined,
  ): NowOrLater<CommitResult & { readonly row?: unknown }> {
    const { exchange } = attempt;
    const result = done.row === undefined ? done.committed : { ...done.committed, row: done.row };
    const settle = (): Promise<void> | undefined => {
      if (exchange) exchange.committed = result;
      if (attempt.wroteMessages || done.messages?.length) this.outbox.nudge();
      return attempt.listeners.length
        ? this.runAllAfter(attempt.listeners, done.record)
        : undefined;
    };
    if (joined) {
      joined.afterCommit(async () => {
        await settle();
      });
      return result;
    }
    // Without hooks (most commits), settled at once: no promise of its own.
    const after = settle();
    return after ? after.then(() => result) : result;
  }

  private async runAllAfter(
    listeners: readonly TransitionListener[],
    record: TransitionRecord,
  ): Promise<void> {
    for (const l of listeners) await this.runAfter(l, record);
  }

  private hooksFor(t: CheckedTransition<unknown, unknown, object>): TransitionListener[] {
    return this.listeners.filter(
      (l) => (l.resource ?? t.resource) === t.resource && (l.event ?? t.event) === t.event,
    );
  }

  private async runAfter(listener: TransitionListener, record: TransitionRecord): Promise<void> {
    try {
      await listener.afterCommit?.(record);
    } catch (err) {
      this.logger.error(
        `afterCommit hook failed for ${record.resource} ${record.resourceId} ${record.event}: ${(err as Error).message}`,
        (err as Error).stack,
      );
    }
  }
}

/** Audit fields given by code that break the limits: a bug in the caller, not bad input. */
const codeAuditError = (message: string): never => {
  throw new TypeError(`commit() audit: ${message}`);
};
