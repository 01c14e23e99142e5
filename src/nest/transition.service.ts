import { Inject, Injectable, InternalServerErrorException, Logger, Optional } from '@nestjs/common';
import type { StoredState } from '../core/index.js';
import { encodeState } from '../store/state-encoding.js';
import { StoreUnavailableError, type TransitionRecord } from '../store/index.js';
import type { CurrentTransition } from './current-transition.decorator.js';
import { IllegalTransitionException } from './exceptions/illegal-transition.exception.js';
import { ResourceNotFoundException } from './exceptions/resource-not-found.exception.js';
import { StoreUnavailableException } from './exceptions/store-unavailable.exception.js';
import { TRANSITION_GUARD_OPTIONS } from './transition-guard.module-definition.js';
import { resolveOptions, type ResolvedTransitionGuardOptions } from './transition-guard.options.js';
import { TransitionRegistry, type RegisteredResource } from './transition-registry.js';
import { commitContextOf } from './commit-context.js';
import { etagFor } from '../http/index.js';
import { PreconditionFailedException } from './exceptions/precondition.exceptions.js';

/** The row as a commit attempt sees it, for changes computed from it. */
export interface CommitBase<TContext = unknown> {
  readonly state: StoredState;
  readonly context: TContext;
  readonly version: number | undefined;
}

/**
 * The other fields the transition changes, written in the same statement as the state. A function
 * is called again on every attempt with the row as that attempt sees it (use it when a change
 * depends on the row: `paid: base.context.paid + amount`).
 */
export type TransitionChanges<TContext = unknown> =
  Record<string, unknown> | ((base: CommitBase<TContext>) => Record<string, unknown> | undefined);

export interface CommittedTransition {
  readonly resource: string;
  readonly id: string;
  readonly event: string;
  readonly from: StoredState;
  readonly to: StoredState;
  /** The version after the write (when the store keeps one). */
  readonly version: number | undefined;
  /** 1 when the first write matched; more after lost races that were retried. */
  readonly attempts: number;
}

/** Called around commits of matching transitions. */
export interface TransitionListener {
  readonly resource?: string;
  readonly event?: string;
  /** Inside the write's transaction (where the store has one): throwing rolls everything back. */
  beforeCommit?(record: TransitionRecord, tx: unknown): Promise<void> | void;
  /** After the write committed, for side effects (emails). Never called for a write that lost the race. Errors are logged. */
  afterCommit?(record: TransitionRecord): Promise<void> | void;
}

/**
 * Writes checked transitions with compare-and-set, closing the gap between the guard's check and
 * the handler's write. When the row moved meanwhile: reload, re-check the same event, retry (a
 * bounded number of times, by the `commit` options) or answer 409 `stale-state`.
 *
 * @example
 * @Post(':id/ship') @Transition(order, 'SHIP')
 * ship(@CurrentTransition() t: CurrentTransition<OrderContext>) {
 *   return this.transitions.commit(t, { carrier: t.payload.carrier, trackingNumber: t.payload.trackingNumber });
 * }
 */
@Injectable()
export class TransitionService {
  private readonly logger = new Logger('TransitionService');
  private readonly options: ResolvedTransitionGuardOptions;
  private readonly listeners: TransitionListener[] = [];

  constructor(
    @Inject(TransitionRegistry) private readonly registry: TransitionRegistry,
    @Optional() @Inject(TRANSITION_GUARD_OPTIONS) options?: ResolvedTransitionGuardOptions,
  ) {
    this.options = options ?? resolveOptions({});
  }

  /** Registers hooks; returns a function that removes them. */
  onTransition(listener: TransitionListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  async commit<TContext>(
    t: CurrentTransition<TContext>,
    changes?: TransitionChanges<TContext>,
  ): Promise<CommittedTransition> {
    const entry = this.registry.get(t.resource);
    const store = entry?.store;
    if (!entry || !store) {
      throw new Error(
        `TransitionService.commit(): resource '${t.resource}' has no store. Register it with ` +
          `TransitionGuardModule.forFeature([{ resource: '${t.resource}', machine, store: YourStore }]).`,
      );
    }
    const { maxRetries, retryWhen } = this.options.commit;
    const context = commitContextOf(t);
    let base: CommitBase<TContext> = {
      state: t.from,
      context: t.context,
      version: asVersion(t.version),
    };
    let to = t.to;
    for (let attempt = 1; ; attempt++) {
      const record: TransitionRecord = {
        resource: t.resource,
        resourceId: t.id,
        event: t.event,
        from: base.state,
        to,
        version: base.version === undefined ? undefined : base.version + 1,
        actor: t.actor ?? null,
        at: new Date(),
      };
      const listeners = this.listeners.filter(
        (l) => (l.resource ?? t.resource) === t.resource && (l.event ?? t.event) === t.event,
      );
      const before = listeners.filter((l) => l.beforeCommit);
      const committed: CommittedTransition = {
        resource: t.resource,
        id: t.id,
        event: t.event,
        from: base.state,
        to,
        version: record.version,
        attempts: attempt,
      };
      const idempotency = context?.idempotency;
      const written = await this.unavailableAs503(entry, () =>
        store.compareAndSet(
          t.id,
          { state: base.state, version: base.version },
          { state: to, changes: typeof changes === 'function' ? changes(base) : changes },
          {
            record,
            beforeCommit:
              before.length || idempotency
                ? async (tx) => {
                    for (const l of before) await l.beforeCommit!(record, tx);
                    // The key is marked committed in the same transaction as the state change.
                    await idempotency?.store.markCommitted(
                      idempotency.caller,
                      idempotency.key,
                      committed,
                      tx,
                    );
                  }
                : undefined,
          },
        ),
      );
      if (written) {
        const etag = etagFor(record.version);
        if (etag) context?.setEtag?.(etag);
        for (const l of listeners) await this.runAfter(l, record);
        return committed;
      }
      // Lost the race: the row is not in the state (or version) the check saw. Reload, re-check.
      const fresh = await this.unavailableAs503(entry, () => store.load(t.id));
      if (!fresh) throw new ResourceNotFoundException(t.resource, t.id);
      // The client named the version (If-Match, expectedVersion): it moved, so no retry.
      if (context?.pinned === 'if-match') {
        throw new PreconditionFailedException(
          t.resource,
          t.id,
          fresh.state,
          etagFor(fresh.version),
        );
      }
      if (context?.pinned === 'expected-version') {
        throw IllegalTransitionException.stale(
          t.resource,
          t.id,
          t.event,
          fresh.state,
          entry.validator.allowedEvents({ state: fresh.state, context: fresh.context }),
          `Cannot ${t.event} ${t.resource} ${t.id}: it moved to version ${String(fresh.version)} while this request was being checked; refetch and retry`,
          'version-mismatch',
        );
      }
      const result = entry.validator.check(
        { state: fresh.state, context: fresh.context },
        { ...(t.payload as object), type: t.event },
      );
      const current = result.from;
      const moved = encodeState(current) !== encodeState(base.state);
      if (!result.allowed) {
        throw IllegalTransitionException.stale(
          t.resource,
          t.id,
          t.event,
          current,
          result.allowedEvents,
          `Cannot ${t.event} ${t.resource} ${t.id}: it became ${show(current)} while this request was being checked`,
        );
      }
      if (attempt > maxRetries || (retryWhen === 'same-state' && moved)) {
        throw IllegalTransitionException.stale(
          t.resource,
          t.id,
          t.event,
          current,
          entry.validator.allowedEvents({ state: fresh.state, context: fresh.context }),
          moved
            ? `Cannot ${t.event} ${t.resource} ${t.id}: it moved to ${show(current)} while this request was being checked; refetch and retry`
            : `Cannot ${t.event} ${t.resource} ${t.id}: it kept changing (${attempt} attempts); refetch and retry`,
        );
      }
      this.logger.debug(
        `${t.resource} ${t.id}: ${t.event} lost a race (attempt ${attempt}); retrying from ${show(current)}`,
      );
      base = { state: current, context: fresh.context as TContext, version: fresh.version };
      to = result.to;
    }
  }

  private async runAfter(listener: TransitionListener, record: TransitionRecord): Promise<void> {
    try {
      await listener.afterCommit?.(record);
    } catch (err) {
      this.logger.error(
        `afterCommit hook failed for ${record.resource} ${record.resourceId} ${record.event}: ${(err as Error)?.message}`,
        (err as Error)?.stack,
      );
    }
  }

  private async unavailableAs503<T>(entry: RegisteredResource, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof StoreUnavailableError) {
        this.logger.error(err.message, (err.cause as Error)?.stack);
        throw new StoreUnavailableException(entry.resource, { cause: err });
      }
      if (err instanceof Error && err.name === 'ForbiddenChangesError') throw err;
      this.logger.error(
        `Committing to the ${entry.resource} store failed: ${(err as Error)?.message}`,
        (err as Error)?.stack,
      );
      throw new InternalServerErrorException();
    }
  }
}

function asVersion(v: number | string | undefined): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

const show = (s: StoredState) => (typeof s === 'string' ? s : JSON.stringify(s));
