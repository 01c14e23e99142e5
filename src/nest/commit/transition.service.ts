import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AnyStateMachine } from 'xstate';
import type { EventTypeOf, TransitionValidator } from '../../core/index.js';
import {
  TimerGoneError,
  type ClaimedTimer,
  type HistoryEntry,
  type HistoryPage,
  type StoredResource,
  type StoredTimer,
} from '../../store/index.js';
import { TransitionTimers, type TimerOutcome } from '../timers/transition-timers.js';
import { asRoles, validId } from '../request/request-readers.js';
import { callerEvents } from '../checks/caller-events.js';
import type { GuardRequest } from '../definition/guard-request.js';
import type { TransitionResource } from '../definition/resource-definition.js';
import { TransitionOutbox } from '../outbox/transition-outbox.js';
import { readHistoryQuery, type HistoryRequest } from './history-query.js';
import { checkSystemTransition } from './system-transition.js';
import { callStore } from '../errors/store-failure.js';
import { messages } from '../errors/messages.js';
import { etagFor } from '../../http/index.js';
import { TRANSITION_GUARD_OPTIONS } from '../definition/module-definition.js';
import type { ResolvedTransitionGuardOptions } from '../definition/options.js';
import { TransitionRegistry } from '../definition/transition-registry.js';
import type { CheckedTransition } from '../definition/checked-transition.js';
import type {
  CommitOptions,
  CommitResult,
  SendOptions,
  ResourceInspection,
  RowOf,
  TransitionChanges,
  TransitionListener,
} from '../definition/commit.types.js';
import {
  commitOptimistic,
  commitPessimistic,
  compareAndSet,
  recheckedUnderLock,
} from './commit-strategies.js';
import { CommitRunner } from './commit-runner.js';

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
  private readonly runner: CommitRunner;

  /** @internal Nest injects it. */
  constructor(
    @Inject(TransitionRegistry) private readonly registry: TransitionRegistry,
    @Inject(TRANSITION_GUARD_OPTIONS) private readonly options: ResolvedTransitionGuardOptions,
    @Inject(TransitionOutbox) private readonly outbox: TransitionOutbox,
    @Inject(TransitionTimers) private readonly timerLoop: TransitionTimers,
  ) {
    this.runner = new CommitRunner(registry, outbox, this.logger, timerLoop);
    timerLoop.commitWith((t, timer) => this.fireTimer(t, timer));
  }

  /**
   * A due timer's transition, from the row as the firing loop read it: one compare-and-set, the
   * timer removed from its claim in the same transaction (on PostgreSQL in the same statement,
   * which requires the claim). `lost-race` when the row moved or, in one statement, the claim was
   * lost (the loop reloads), `gone` when the timer was disarmed or taken meanwhile (rolled back).
   */
  private async fireTimer(t: CheckedTransition, timer: ClaimedTimer): Promise<TimerOutcome> {
    const metadata = { timer: timer.timer, dueAt: timer.dueAt.toISOString(), lateMs: timer.lateMs };
    const { store, attempt } = this.runner.attemptOf(t, undefined, { audit: { metadata } });
    attempt.firing = timer;
    const base = { state: t.from, context: t.context, version: t.version };
    const next = attempt.next(
      base,
      t.to,
      1,
      this.outbox.writtenBy(store),
      attempt.timersWrittenBy(store),
    );
    try {
      const done = await compareAndSet(store, attempt, base, next, {}, { logger: this.logger });
      if (!done) return 'lost-race';
      await this.runner.settle(attempt, done, store.joinedTransaction?.());
      return 'fired';
    } catch (err) {
      if (err instanceof TimerGoneError) return 'gone';
      throw err;
    }
  }

  /**
   * A resource's armed timers (its machine's `after` transitions), soonest first: which timer,
   * due when by the database's clock, armed by which version.
   *
   * @example
   * await transitions.timers('order', '42');
   * // [{ timer: 'xstate.after.PAYMENT_WINDOW.order.pending', dueAt: 2026-12-03T21:30:00.000Z, armedVersion: 1, ... }]
   */
  timers(resource: string, id: string): Promise<StoredTimer[]> {
    const entry = this.registry.resource(resource);
    const key = validId(entry, id, this.options.idPattern);
    return callStore(this.logger, resource, `Reading the timers of ${resource} ${key}`, () =>
      this.timerLoop.list(resource, key),
    );
  }

  /**
   * Registers hooks; returns a function that removes them.
   *
   * @example
   * const off = transitions.onTransition({ resource: 'order', event: 'SHIP', afterCommit: (r) => mailer.shipped(r.resourceId) });
   */
  onTransition(listener: TransitionListener): () => void {
    return this.runner.listen(listener);
  }

  /**
   * Commits `t` with `changes` (fields written in the same statement as the state) and returns
   * what was committed (with `row`, the row as written, when `returning: true`). Throws 409
   * `stale-state` (or 412 / `version-mismatch` when the client pinned a version) when the row
   * moved and the event no longer holds, 503 when the store is down. `locking: 'pessimistic'`
   * (or the resource's `locking`) locks the row instead of racing for it.
   */
  commit<TContext, TChanges extends object>(
    t: CheckedTransition<TContext, unknown, TChanges>,
    changes?: TransitionChanges<TContext, NoInfer<TChanges>>,
    options?: CommitOptions & { returning?: false },
  ): Promise<CommitResult>;
  commit<TContext, TChanges extends object>(
    t: CheckedTransition<TContext, unknown, TChanges>,
    changes: TransitionChanges<TContext, NoInfer<TChanges>> | undefined,
    options: CommitOptions & { returning: true },
  ): Promise<CommitResult & { readonly row: RowOf<TChanges> }>;
  async commit<TContext, TChanges extends object>(
    t: CheckedTransition<TContext, unknown, TChanges>,
    changes?: TransitionChanges<TContext, NoInfer<TChanges>>,
    options: CommitOptions = {},
  ): Promise<CommitResult & { readonly row?: unknown }> {
    const { entry, store, attempt } = this.runner.attemptOf(t, changes, options);
    const locking = options.locking ?? entry.locking;
    // Inside the app's transaction (a store with a transactionHost, in @Transactional()): the
    // write commits when that transaction does, and what follows a commit waits for it.
    const joined = store.joinedTransaction?.();
    const how = { logger: this.logger, outbox: this.outbox, commit: this.options.commit };
    if (locking === 'pessimistic' && store.commitLocked) {
      const where = { resource: t.resource, id: t.id, doing: `Committing ${t.event}` };
      const decide = (current: StoredResource) => recheckedUnderLock(entry, attempt, current, how);
      const { done } = await commitPessimistic(store, where, decide, options, how);
      return this.runner.settle(attempt, done, joined);
    }
    return this.runner.settle(
      attempt,
      await commitOptimistic(entry, store, attempt, options, how),
      joined,
    );
  }

  /**
   * The guard's one-statement commit (`@Transition(..., { commit })`): writes `t` only if the row
   * is in `t.from` (and at `t.version` when the client pinned one), without reading it first.
   * Undefined when the row was not: the guard then reads it, to explain or to commit as
   * `commit()` does.
   *
   * @internal The guard's: an app commits with `commit()`.
   */
  async commitUnread<TContext, TChanges extends object>(
    t: CheckedTransition<TContext, unknown, TChanges>,
    changes: NoInfer<TChanges> | undefined,
    options: { readonly returning?: boolean } = {},
  ): Promise<(CommitResult & { readonly row?: unknown }) | undefined> {
    const { store, attempt } = this.runner.attemptOf(t, changes, {});
    const joined = store.joinedTransaction?.();
    const base = { state: t.from, context: t.context, version: t.version };
    const writes = [this.outbox.writtenBy(store), attempt.timersWrittenBy(store)] as const;
    const next = attempt.next(base, t.to, 1, ...writes);
    const done = await compareAndSet(store, attempt, base, next, options, { logger: this.logger });
    return done && this.runner.settle(attempt, done, joined);
  }

  /**
   * The guard's commit under a row lock (`@Transition(..., { commitLocked })`): in one
   * transaction, the row locked and read, `decide` checks it and gives the transition and its
   * changes (throwing refuses: rolled back), the transition written. 404 when there is no row.
   *
   * @internal The guard's: an app commits with `commit({ locking: 'pessimistic' })`.
   */
  async commitUnderLock(
    resource: string,
    id: string,
    decide: (current: StoredResource) => {
      readonly transition: CheckedTransition;
      readonly changes: object | undefined;
    },
    options: { readonly returning?: boolean } = {},
  ): Promise<CommitResult & { readonly row?: unknown }> {
    const store = this.registry.resource(resource).store;
    if (!store) throw new Error(messages.noLocking(resource));
    const joined = store.joinedTransaction?.();
    const where = { resource, id, doing: 'Committing under a lock' };
    const { attempt, done } = await commitPessimistic(
      store,
      where,
      (current) => {
        const { transition, changes } = decide(current);
        const { attempt } = this.runner.attemptOf(transition, changes, {});
        return { attempt, from: transition.from, to: transition.to };
      },
      options,
      { logger: this.logger },
    );
    return this.runner.settle(attempt, done, joined);
  }

  /**
   * A transition no request asked for (a timer, a worker, a script): loaded, checked against the
   * machine (not against roles: code acts with full authority) and committed, as `actor`
   * (default `system`; `systemActor('expiry')` gives `system:expiry`). Throws what the guard
   * would answer: 400 (id, event, payload), 404, 409 (with the reason), 503.
   *
   * @example
   * await transitions.send(order, '42', { type: 'CANCEL' }, { actor: systemActor('expiry'), audit: { reason: 'unpaid for 7 days' } });
   */
  async send<M extends AnyStateMachine>(
    resource: TransitionResource<M> | string,
    id: string,
    event: EventTypeOf<M> | { readonly type: EventTypeOf<M>; readonly [key: string]: unknown },
    options: SendOptions = {},
  ): Promise<CommitResult> {
    const entry = this.registry.resource(
      typeof resource === 'string' ? resource : resource.resource,
    );
    const t = await checkSystemTransition(
      entry,
      id,
      typeof event === 'string' ? { type: event } : event,
      {
        actor: options.actor ?? 'system',
        correlationId: options.correlationId ?? null,
        idPattern: this.options.idPattern,
      },
      this.logger,
    );
    const { changes, ...commitOptions } = options;
    return this.commit(t, changes, { ...commitOptions, returning: false });
  }

  /**
   * A resource's transition log, newest first, `limit` (1 to 100, default 20) entries per page;
   * pass the page's `next` as `before` for the following one. 400 `INVALID_HISTORY_QUERY` for a
   * limit or cursor out of shape, 400 `INVALID_RESOURCE_ID` for an id no row can have. Needs a
   * store that keeps a log (`TypeOrmTransitionStore` with `log: true`).
   *
   * The log says who did what (actors, comments, metadata): check that the caller may see the
   * resource before you call this (answer 404 otherwise), and pass `visible` to leave out the
   * entries this caller may not see. A page keeps its `next` cursor, so a filtered page may
   * hold fewer than `limit` entries while more follow.
   *
   * @example
   * @Get(':id/history')
   * history(@Param('id') id: string, @Query('limit') limit?: string, @Query('before') before?: string) {
   *   return this.transitions.history('order', id, { limit, before });
   * }
   * // Only the entries of the caller's own actions, for a caller without the role 'support':
   * this.transitions.history('order', id, { limit, before }, {
   *   visible: (entry) => user.roles.includes('support') || entry.actor === user.id,
   * });
   */
  async history(
    resource: string,
    id: string,
    request: HistoryRequest = {},
    options: { readonly visible?: (entry: HistoryEntry) => boolean } = {},
  ): Promise<HistoryPage> {
    const entry = this.registry.resource(resource);
    const query = readHistoryQuery(resource, request);
    const store = entry.store;
    const read = store?.history?.bind(store);
    if (!read) throw new Error(messages.noHistory(resource));
    const key = validId(entry, id, this.options.idPattern);
    const page = await callStore(
      this.logger,
      resource,
      `Reading the history of ${resource} ${key}`,
      () => read(resource, key, query),
    );
    const { visible } = options;
    return visible ? { ...page, entries: page.entries.filter((e) => visible(e)) } : page;
  }

  /**
   * The resources registered with the module (`defineResource` or `forFeature`), by name.
   *
   * @example
   * transitions.resources(); // ['order', 'article']
   */
  resources(): string[] {
    return this.registry.resources();
  }

  /**
   * The validator of a registered resource, compiled once at bootstrap: `explain`,
   * `allowedEvents`, `describe` for a row the app loaded itself. Throws for a name that is not
   * registered, listing the names that are.
   *
   * @example
   * const row = await orders.findOneBy({ id });
   * return { ...row, transitions: this.transitions.validator('order').explain({ state: row.status }) };
   */
  validator(resource: string): TransitionValidator {
    return this.registry.resource(resource).validator;
  }

  /**
   * One resource as a caller sees it: its state, version, ETag, and every event with whether
   * THIS caller may send it now and, when not, why (`transitions`, decided as the guard decides:
   * the machine, its guards, the roles; `role-required` with `requiredRoles` where a role is
   * missing), with the route that sends it (`method`, `href`) where the app has one;
   * `allowedEvents` names the allowed ones. The caller is `request` (its roles by the `getRoles`
   * option, the loader sees it) or `roles`; neither: roles aside. One load; null when there is
   * no such resource. Answers that differ per caller need `Vary` on the identity header.
   *
   * @example
   * @Get(':id')
   * async get(@Param('id', ResourceIdPipe('order')) id: string, @Req() request: GuardRequest) {
   *   return (await this.transitions.inspect('order', id, { request })) ?? notFound();
   * }
   */
  async inspect(
    resource: string,
    id: string,
    options: { readonly roles?: readonly string[]; readonly request?: GuardRequest } = {},
  ): Promise<ResourceInspection | null> {
    const entry = this.registry.resource(resource);
    const { request } = options;
    const loaded = await callStore(this.logger, resource, `Loading ${resource} ${id}`, () =>
      entry.loader.load(id, { resource, event: '', request }),
    );
    if (!loaded) return null;
    const input = { state: loaded.state, context: loaded.context };
    const roles = options.roles ?? (request ? asRoles(this.options.getRoles(request)) : undefined);
    const transitions = callerEvents(entry, id, input, roles, this.registry.routesOf(resource));
    return {
      resource,
      id,
      state: entry.validator.normalizeState(loaded.state),
      version: loaded.version,
      etag: etagFor(loaded.version),
      context: loaded.context,
      allowedEvents: transitions.filter((t) => t.allowed).map((t) => t.event),
      transitions,
    };
  }
}
