import { Inject, Injectable, Logger } from '@nestjs/common';
import { sameState, type StoredState } from '../../core/index.js';
import type { StoredResource, TransitionRecord } from '../../store/index.js';
import { IllegalTransitionException } from '../errors/illegal-transition.exception.js';
import { PreconditionFailedException } from '../errors/precondition.exceptions.js';
import { ResourceNotFoundException } from '../errors/request.exceptions.js';
import { callStore } from '../errors/store-failure.js';
import { messages } from '../errors/messages.js';
import { etagFor } from '../../http/index.js';
import { TRANSITION_GUARD_OPTIONS } from '../module/module-definition.js';
import type { ResolvedTransitionGuardOptions } from '../module/options.js';
import { TransitionRegistry, type RegisteredResource } from '../module/transition-registry.js';
import type { CheckedTransition } from './checked-transition.js';
import type {
  CommitBase,
  CommittedTransition,
  ResourceInspection,
  TransitionChanges,
  TransitionListener,
} from './commit.types.js';
import { TransitionExchange } from './transition-exchange.js';

/**
 * Writes checked transitions with compare-and-set, closing the gap between the guard's check and
 * the handler's write. When the row moved meanwhile: reload, re-check the same event, retry (a
 * bounded number of times, by the `commit` options) or answer 409 `stale-state`.
 *
 * @example
 * @Post(':id/ship') @Transition(order, 'SHIP')
 * ship(@CurrentTransition() t: CurrentTransition<typeof order, 'SHIP'>) {
 *   return this.transitions.commit(t, { carrier: t.payload.carrier, trackingNumber: t.payload.trackingNumber });
 * }
 */
@Injectable()
export class TransitionService {
  private readonly logger = new Logger('TransitionService');
  private readonly listeners: TransitionListener[] = [];

  constructor(
    @Inject(TransitionRegistry) private readonly registry: TransitionRegistry,
    @Inject(TRANSITION_GUARD_OPTIONS) private readonly options: ResolvedTransitionGuardOptions,
  ) {}

  /**
   * Registers hooks; returns a function that removes them.
   *
   * @example
   * const off = transitions.onTransition({ resource: 'order', event: 'SHIP', afterCommit: (r) => mailer.shipped(r.resourceId) });
   */
  onTransition(listener: TransitionListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /**
   * Commits `t` with `changes` (fields written in the same statement as the state) and returns
   * what was committed. Throws 409 `stale-state` (or 412 / `version-mismatch` when the client
   * pinned a version) when the row moved and the event no longer holds, 503 when the store is down.
   */
  async commit<TContext, TChanges extends object>(
    t: CheckedTransition<TContext, unknown, TChanges>,
    changes?: TransitionChanges<TContext, NoInfer<TChanges>>,
  ): Promise<CommittedTransition> {
    const entry = this.registry.get(t.resource);
    const store = entry?.store;
    if (!entry || !store) throw new Error(messages.noStore(t.resource));
    const exchange = TransitionExchange.of(t);
    let base: CommitBase<TContext> = { state: t.from, context: t.context, version: t.version };
    let to = t.to;
    for (let attempt = 1; ; attempt++) {
      const committed: CommittedTransition = {
        resource: t.resource,
        id: t.id,
        event: t.event,
        from: base.state,
        to,
        version: base.version === undefined ? undefined : base.version + 1,
        attempts: attempt,
      };
      const record: TransitionRecord = {
        resource: t.resource,
        resourceId: t.id,
        event: t.event,
        from: base.state,
        to,
        version: committed.version,
        actor: t.actor,
        at: new Date(),
      };
      const listeners = this.listeners.filter(
        (l) => (l.resource ?? t.resource) === t.resource && (l.event ?? t.event) === t.event,
      );
      const before = listeners.filter((l) => l.beforeCommit !== undefined);
      const idempotency = exchange?.idempotency;
      const next = typeof changes === 'function' ? changes(base) : changes;
      const written = await callStore(this.logger, t.resource, `Committing ${t.event}`, () =>
        store.compareAndSet(
          t.id,
          { state: base.state, version: base.version },
          { state: to, changes: next as Record<string, unknown> | undefined },
          {
            record,
            beforeCommit:
              before.length || idempotency
                ? async (tx) => {
                    for (const l of before) await l.beforeCommit?.(record, tx);
                    // The key is marked committed in the same transaction as the state change.
                    await idempotency?.markCommitted(committed, exchange?.roles, tx);
                  }
                : undefined,
          },
        ),
      );
      if (written) {
        if (exchange) exchange.committed = committed;
        for (const l of listeners) await this.runAfter(l, record);
        return committed;
      }
      // Lost the race: the row is not in the state (or version) the check saw. Reload, re-check.
      const fresh = await callStore(this.logger, t.resource, `Reloading ${t.id}`, () =>
        store.load(t.id),
      );
      if (!fresh) throw new ResourceNotFoundException(t.resource, t.id);
      const retry = this.afterLostRace(entry, t, fresh, base.state, attempt, exchange?.pinned);
      this.logger.debug(
        `${t.resource} ${t.id}: ${t.event} lost a race (attempt ${attempt}); retrying`,
      );
      base = { state: retry.from, context: fresh.context as TContext, version: fresh.version };
      to = retry.to;
    }
  }

  /**
   * One resource as a client sees it: its state, version, ETag, the events allowed now (for a
   * caller with `roles`, when given: events that need a role the caller lacks are left out) and
   * every event with why not. One load; null when there is no such resource.
   *
   * @example
   * @Get(':id')
   * async get(@Param('id', ResourceIdPipe('order')) id: string) {
   *   return (await this.transitions.inspect('order', id)) ?? notFound();
   * }
   */
  async inspect(
    resource: string,
    id: string,
    options: { roles?: readonly string[] } = {},
  ): Promise<ResourceInspection | null> {
    const entry = this.registry.resource(resource);
    const loaded = await callStore(this.logger, resource, `Loading ${resource} ${id}`, () =>
      entry.loader.load(id, { resource, event: '', request: undefined }),
    );
    if (!loaded) return null;
    const input = { state: loaded.state, context: loaded.context };
    const { roles } = options;
    const permitted = (event: string) => {
      const needed = entry.validator.rolesFor(event);
      return !roles || !needed.length || needed.some((r) => roles.includes(r));
    };
    return {
      resource,
      id,
      state: entry.validator.normalizeState(loaded.state),
      version: loaded.version,
      etag: etagFor(loaded.version),
      context: loaded.context,
      allowedEvents: entry.validator.allowedEvents(input).filter(permitted),
      transitions: entry.validator.explain(input),
    };
  }

  /** After a lost race: the state to retry from and its target, or the answer to give. */
  private afterLostRace(
    entry: RegisteredResource,
    t: CheckedTransition<unknown, unknown, object>,
    fresh: StoredResource,
    checkedState: StoredState,
    attempt: number,
    pinned: 'if-match' | 'expected-version' | undefined,
  ): { from: StoredState; to: StoredState } {
    const input = { state: fresh.state, context: fresh.context };
    const at = (currentState: StoredState) => ({
      resource: t.resource,
      id: t.id,
      event: t.event,
      currentState,
      allowedEvents: entry.validator.allowedEvents(input),
    });
    // The client named the version (If-Match, expectedVersion): it moved, so no retry.
    if (pinned === 'if-match') {
      throw new PreconditionFailedException(t.resource, t.id, fresh.state, etagFor(fresh.version));
    }
    if (pinned === 'expected-version') {
      throw IllegalTransitionException.versionMismatch(at(fresh.state), {
        movedTo: fresh.version,
      });
    }
    const result = entry.validator.check(input, { ...(t.payload as object), type: t.event });
    if (!result.allowed) {
      throw IllegalTransitionException.stale(at(result.from), { kind: 'became' });
    }
    const moved = !sameState(result.from, checkedState);
    const { maxRetries, retryWhen } = this.options.commit;
    if (attempt > maxRetries || (moved && retryWhen === 'same-state')) {
      throw IllegalTransitionException.stale(
        at(result.from),
        moved ? { kind: 'moved' } : { kind: 'kept-changing', attempts: attempt },
      );
    }
    return { from: result.from, to: result.to };
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
