import { randomUUID } from 'node:crypto';
import type { MachineTimers, StoredState, TimerChange } from '../../core/index.js';
import {
  TimerGoneError,
  type ClaimedTimer,
  type NewOutboxMessage,
  type TimerStore,
  type TransitionRecord,
  type TransitionStore,
  type Written,
} from '../../store/index.js';
import type { CheckedTransition } from '../definition/checked-transition.js';
import type {
  CommitBase,
  CommitResult,
  TransitionChanges,
  TransitionListener,
} from '../definition/commit.types.js';
import type { TransitionExchange } from './transition-exchange.js';
import type { TransitionAudit } from '../definition/audit-fields.js';
import type { TransitionOutbox } from '../outbox/transition-outbox.js';

/** One try's write: what it commits, the log record, the changes, what commits with it. */
export interface Committed {
  readonly committed: CommitResult;
  readonly record: TransitionRecord;
  readonly changes: Record<string, unknown> | undefined;
  readonly beforeCommit: ((tx: unknown, written: Written) => Promise<void>) | undefined;
  /** Outbox messages the store writes itself with the change (`writesMessages`). */
  readonly messages?: readonly NewOutboxMessage[];
  /** Timers the store disarms and arms itself with the change (`writesTimers`). */
  readonly timers?: TimerChange;
  /** The claimed timer the store removes itself with the change, which it requires (a firing). */
  readonly fired?: { readonly id: string; readonly claim: string };
  readonly row?: unknown;
}

/**
 * The try as written: with the version the store wrote when the try could not know it (a commit
 * that compared the state only, without reading the row: the guard's one-statement commit).
 */
export function asWritten<T extends Pick<Committed, 'committed' | 'record'>>(
  next: T,
  written: { readonly version?: number },
): T {
  const { version } = written;
  if (version === undefined || next.committed.version === version) return next;
  return {
    ...next,
    committed: { ...next.committed, version },
    record: { ...next.record, version },
  };
}

const NO_AUDIT: TransitionAudit = {};

/**
 * What one `commit()` call writes on each try: the committed transition and its log record from
 * the row as that try sees it, the changes (a function of the row is called again), and the
 * hooks and idempotency mark that commit in the same transaction.
 */
export class CommitAttempt {
  readonly listeners: readonly TransitionListener[];
  /** One id for the transition, whichever try commits it. */
  private readonly transitionId = randomUUID();
  /** Whether the try that committed wrote outbox messages. */
  wroteMessages = false;
  /**
   * The due timer this commit fires: removed from its claim in the commit's transaction (gone,
   * the commit rolls back with `TimerGoneError`).
   */
  firing: ClaimedTimer | undefined;

  constructor(
    readonly t: CheckedTransition<unknown, unknown, object>,
    readonly exchange: TransitionExchange | undefined,
    listeners: readonly TransitionListener[],
    private readonly changes: TransitionChanges<never, object> | undefined,
    private readonly context: {
      readonly machineVersion: string;
      readonly audit: TransitionAudit | undefined;
      readonly outbox: TransitionOutbox;
      /** The resource's timers and where they are kept, when its machine has `after` transitions. */
      readonly timers?: { readonly machine: MachineTimers; readonly store: TimerStore };
    },
  ) {
    this.listeners = listeners;
    this.before = listeners.filter((l) => l.beforeCommit !== undefined);
  }

  /** The listeners with a `beforeCommit`, which commit with each try. */
  private readonly before: readonly TransitionListener[];

  /**
   * The try from `base` to `to`. `storeWritesMessages`: the store's compare-and-set writes the
   * outbox messages itself (`TransitionStore.writesMessages`), when their version is known now.
   */
  next(
    base: CommitBase,
    to: StoredState,
    attempt: number,
    storeWritesMessages = false,
    storeWritesTimers = false,
  ): Committed {
    const { t, exchange } = this;
    const version = base.version === undefined ? undefined : base.version + 1;
    const committed: CommitResult = {
      resource: t.resource,
      id: t.id,
      event: t.event,
      from: base.state,
      to,
      version,
      attempts: attempt,
    };
    const given = this.context.audit;
    const audit = given ? { ...t.audit, ...given } : (t.audit ?? NO_AUDIT);
    const record: TransitionRecord = {
      transitionId: this.transitionId,
      resource: t.resource,
      resourceId: t.id,
      event: t.event,
      from: base.state,
      to,
      version,
      actor: t.actor,
      at: new Date(),
      reason: audit.reason ?? null,
      comment: audit.comment ?? null,
      metadata: audit.metadata ?? null,
      machineVersion: this.context.machineVersion,
      correlationId: t.correlationId ?? null,
    };
    const changes =
      typeof this.changes === 'function'
        ? (this.changes as (b: CommitBase) => object | undefined)(base)
        : this.changes;
    const before = this.before;
    const idempotency = exchange?.idempotency;
    const { outbox } = this.context;
    const messages = outbox.messagesFor(record, t.payload as Record<string, unknown>);
    // The store writes them when it can and they are final: the version written is known now.
    const storeWrites = messages.length > 0 && storeWritesMessages && version !== undefined;
    const changed = this.timerChange(base, to, changes);
    const { firing } = this;
    // The store writes them in its statement when it can and the version they are armed with is
    // known now: the version also guards a firing there (any other commit moves it). A firing
    // that arms its own timer again (a state re-entered) removes it in a transaction instead.
    const storeWritesAll = storeWritesTimers && version !== undefined;
    const storeFires =
      firing !== undefined && storeWritesAll && !changed?.arm.some((a) => a.timer === firing.timer);
    const storeArms = changed !== undefined && storeWritesAll && (!firing || storeFires);
    // The fired timer is removed by its claim, not disarmed by name.
    const timers = storeFires && changed ? withoutFired(changed, firing.timer) : changed;
    return {
      committed,
      record,
      changes: changes as Record<string, unknown> | undefined,
      beforeCommit: this.hooks(
        before,
        idempotency,
        committed,
        record,
        storeWrites ? [] : messages,
        storeArms ? undefined : timers,
        storeFires ? undefined : firing,
      ),
      ...(storeWrites ? { messages } : {}),
      ...(storeArms && timers ? { timers } : {}),
      ...(storeFires ? { fired: { id: firing.id, claim: firing.claim } } : {}),
    };
  }

  /** Whether `store` writes this resource's timers in its compare-and-set's statement. */
  timersWrittenBy(store: TransitionStore): boolean {
    const timers = this.context.timers;
    return timers !== undefined && store.writesTimers?.(timers.store) === true;
  }

  /**
   * The timers this try arms and disarms: XState's answer for the event from `base`, with the
   * row's context as the changes leave it (a delay that reads context reads that).
   */
  private timerChange(
    base: CommitBase,
    to: StoredState,
    changes: object | undefined,
  ): TimerChange | undefined {
    const timers = this.context.timers;
    if (!timers) return undefined;
    const { t } = this;
    const context =
      changes && base.context !== null && typeof base.context === 'object'
        ? { ...base.context, ...changes }
        : base.context;
    const event = { ...(t.payload as object), type: t.event };
    return timers.machine.change(base.state, context, event, to);
  }

  /**
   * What commits with the change through its transaction: the listeners' beforeCommit, the
   * Idempotency-Key's mark, the outbox messages; undefined when there is nothing.
   */
  private hooks(
    before: readonly TransitionListener[],
    idempotency: TransitionExchange['idempotency'],
    committed: CommitResult,
    record: TransitionRecord,
    messages: readonly NewOutboxMessage[],
    timers: TimerChange | undefined,
    firing: ClaimedTimer | undefined,
  ): Committed['beforeCommit'] {
    const { t, exchange } = this;
    const { outbox } = this.context;
    const timerStore = this.context.timers?.store;
    return before.length || idempotency || messages.length || timers || firing
      ? async (tx: unknown, written: Written) => {
          // The fired timer first: a timer disarmed or taken meanwhile rolls the firing back.
          if (firing && !(await timerStore?.remove(firing, tx))) {
            throw new TimerGoneError(t.resource, t.id, firing.timer);
          }
          // The timers of the states left and entered commit with the change, never without it
          // (the fired one is gone already).
          const change = firing && timers ? withoutFired(timers, firing.timer) : timers;
          if (change) {
            const owner = { resource: t.resource, resourceId: t.id };
            await timerStore?.change(tx, owner, change, written.version);
          }
          const now = asWritten({ committed, record }, written);
          for (const l of before) await l.beforeCommit?.(now.record, tx);
          // The key is marked committed in the same transaction as the state change,
          await idempotency?.markCommitted(now.committed, exchange?.roles, tx);
          // and so are the outbox messages: delivered if and only if the transition commits.
          if (messages.length) {
            const payload = t.payload as Record<string, unknown>;
            const sent = now.record === record ? messages : outbox.messagesFor(now.record, payload);
            await outbox.enqueue(tx, sent);
          }
          this.wroteMessages = messages.length > 0;
        }
      : undefined;
  }
}

/** A firing's change without the disarming of the timer it removed; undefined when nothing is left. */
function withoutFired(change: TimerChange, fired: string): TimerChange | undefined {
  const disarm = change.disarm.filter((timer) => timer !== fired);
  return disarm.length || change.arm.length ? { disarm, arm: change.arm } : undefined;
}
