import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { MachineTimers, StoredState } from '../../core/index.js';
import {
  StoreUnavailableError,
  type ClaimedTimer,
  type StoredTimer,
  type TimerStore,
} from '../../store/index.js';
import { TIMER_STORE } from '../../store/timer-store.interface.js';
import { callStore } from '../errors/store-failure.js';
import { MemoryTimerStore } from '../../store/memory-timer-store.js';
import { TRANSITION_GUARD_OPTIONS } from '../definition/module-definition.js';
import type { ResolvedTransitionGuardOptions } from '../definition/options.js';
import { TransitionRegistry } from '../definition/transition-registry.js';
import type { CheckedTransition } from '../definition/checked-transition.js';

/** The actor of a fired timer's log row (`systemActor('timer')`). */
const TIMER_ACTOR = 'system:timer';

/** What firing a claimed timer came to. */
export type TimerOutcome = 'fired' | 'lost-race' | 'gone';

/** How a timer's transition commits: `TransitionService`'s commit, given at construction. */
export type TimerCommit = (t: CheckedTransition, timer: ClaimedTimer) => Promise<TimerOutcome>;

/**
 * The durable timers of `after` transitions: gives each commit the resource's timers (armed and
 * disarmed in the commit's transaction), runs the firing loop (claims due timers, sends each
 * one's event through the same commit as a request, as `system:timer`), and lists a resource's
 * timers. Inject it to read them, or to arm those of a row the app inserted.
 *
 * @example
 * await timers.start('order', String(order.id), { tx: manager }); // in the INSERT's transaction
 * await timers.list('order', '42'); // [{ timer: 'xstate.after.PAYMENT_WINDOW.order.pending', dueAt, ... }]
 */
@Injectable()
export class TransitionTimers
  implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('TransitionTimers');
  private commit: TimerCommit | undefined;
  private firing = false;
  private stopped = false;
  private wait: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;

  /** @internal Nest injects it. */
  constructor(
    @Inject(TransitionRegistry) private readonly registry: TransitionRegistry,
    @Inject(TRANSITION_GUARD_OPTIONS) private readonly options: ResolvedTransitionGuardOptions,
    @Inject(TIMER_STORE) private readonly store: TimerStore,
  ) {}

  /** @internal `TransitionService` gives its commit. */
  commitWith(commit: TimerCommit): void {
    this.commit = commit;
  }

  /** @internal The timers a commit writes with, when its resource's machine has `after`. */
  of(machine: MachineTimers): { machine: MachineTimers; store: TimerStore } | undefined {
    return machine.declared ? { machine, store: this.store } : undefined;
  }

  onModuleInit(): void {
    const problems: string[] = [];
    for (const name of this.registry.resources()) {
      const entry = this.registry.resource(name);
      if (!entry.timers.declared) continue;
      const where = `${name}: its machine has \`after\` transitions`;
      if (!entry.store) {
        problems.push(
          `${where}, which fire through its store's commit, but it is check-only (a loader, no store). Give it a store.`,
        );
        continue;
      }
      const scope = entry.store.transactionScope?.();
      if (scope === undefined || scope !== this.store.transactionScope?.()) {
        problems.push(
          `${where}: timers are armed in the transition's own transaction, but ${this.store.constructor.name} cannot write in ${entry.store.constructor.name}'s transactions. ` +
            `Set TransitionGuardModule.forRoot({ timers: { store } }) to a timer store on the same database ` +
            `(TypeOrmTimerStore for a TypeOrmTransitionStore on the same DataSource, PrismaTimerStore, MikroOrmTimerStore or DrizzleTimerStore likewise; ` +
            `MemoryTimerStore for memory stores).`,
        );
      }
    }
    if (problems.length) {
      throw new Error(
        `TransitionGuardModule: ${problems.length} problem(s) with timers:\n- ${problems.join('\n- ')}`,
      );
    }
  }

  onApplicationBootstrap(): void {
    const anyTimers = this.registry
      .resources()
      .some((r) => this.registry.resource(r).timers.declared);
    this.firing = anyTimers && this.options.timers.fire;
    if (this.firing) this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.wait);
    await this.current;
  }

  /**
   * A resource's armed timers, soonest first: which `after` of which state, due when (the
   * database's clock), armed by which version.
   */
  list(resource: string, id: string): Promise<StoredTimer[]> {
    this.registry.resource(resource);
    return this.store.list({ resource, resourceId: id });
  }

  /**
   * Arms the timers of a row the app inserted itself (not by a transition): those of its state
   * (`state`, default the machine's initial one) and its ancestors, with delays read from
   * `context`. Pass `tx`, the transaction of the INSERT (a TypeORM EntityManager, a Prisma
   * transaction client), so that the row and its timers commit together; a failure there is the
   * transaction's, for the app to answer. Without `tx`, a store that is down is a 503.
   */
  async start(
    resource: string,
    id: string,
    options: {
      readonly tx?: unknown;
      readonly state?: StoredState;
      readonly context?: object;
      readonly version?: number;
    } = {},
  ): Promise<void> {
    const entry = this.registry.resource(resource);
    const state = options.state ?? entry.timers.initialState();
    const change = entry.timers.initial(state, options.context);
    if (!change) return;
    const owner = { resource, resourceId: id };
    // In the app's transaction, a failure is that transaction's: the app answers it as it answers
    // its INSERT's. In a transaction of its own, a store that is down is a 503, as everywhere.
    if (options.tx !== undefined) {
      await this.store.change(options.tx, owner, change, options.version);
      return;
    }
    await callStore(this.logger, resource, `Arming the timers of ${resource} ${id}`, () =>
      this.store.change(undefined, owner, change, options.version),
    );
  }

  /**
   * Fires the timers due now, once, and resolves when they are done: for tests and scripts (the
   * loop does it every `pollIntervalMs`). With `MemoryTimerStore`, `advanceMs` first moves its
   * clock forward: "30 minutes later" in a millisecond.
   */
  async fireDue(advanceMs = 0): Promise<number> {
    if (advanceMs) {
      if (!(this.store instanceof MemoryTimerStore)) {
        throw new Error(
          `fireDue(${advanceMs}): only MemoryTimerStore's clock can be moved; ${this.store.constructor.name} is due by the database's clock.`,
        );
      }
      this.store.advance(advanceMs);
    }
    let fired = 0;
    for (;;) {
      const claimed = await this.store.claim({
        limit: this.options.timers.batchSize,
        leaseMs: this.options.timers.leaseMs,
      });
      fired += await this.fireAll(claimed);
      if (claimed.length < this.options.timers.batchSize) return fired;
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.wait = setTimeout(() => {
      this.current = this.round().finally(() => (this.current = undefined));
    }, ms);
    this.wait.unref();
  }

  /** One round of the loop: a batch claimed and fired; again at once while batches come full. */
  private async round(): Promise<void> {
    const { batchSize, leaseMs, pollIntervalMs } = this.options.timers;
    let claimed: ClaimedTimer[];
    try {
      claimed = await this.store.claim({ limit: batchSize, leaseMs });
    } catch (err) {
      this.failed('Claiming due timers', err);
      this.schedule(pollIntervalMs);
      return;
    }
    await this.fireAll(claimed);
    this.schedule(claimed.length >= batchSize ? 0 : pollIntervalMs);
  }

  /**
   * Fires claimed timers, `concurrency` at once, one resource's in due order; how many fired.
   */
  private async fireAll(claimed: readonly ClaimedTimer[]): Promise<number> {
    const byResource = new Map<string, ClaimedTimer[]>();
    for (const timer of claimed) {
      const key = `${timer.resource}\u0000${timer.resourceId}`;
      const list = byResource.get(key);
      if (list) list.push(timer);
      else byResource.set(key, [timer]);
    }
    const queues = [...byResource.values()];
    let fired = 0;
    const worker = async () => {
      for (let queue = queues.shift(); queue; queue = queues.shift()) {
        for (const timer of queue) if ((await this.fireOne(timer)) === 'fired') fired++;
      }
    };
    const workers = Math.min(this.options.timers.concurrency, queues.length);
    await Promise.all(Array.from({ length: workers }, worker));
    return fired;
  }

  /**
   * One due timer: the row loaded, the timer's event checked against the machine from its state
   * now (left, or its guard refusing: dropped), committed with the timer removed in the same
   * transaction. A lost race reloads and tries again; a failure leaves it to its lease.
   */
  private async fireOne(timer: ClaimedTimer): Promise<TimerOutcome | 'dropped' | 'failed'> {
    const what = `${timer.resource} ${timer.resourceId}: timer ${timer.timer}`;
    try {
      const entry = this.registry.get(timer.resource);
      const store = entry?.store;
      if (!entry || !store || !entry.timers.declared) {
        return await this.drop(timer, `${what}: the resource has no timers here`);
      }
      const { onOverdue, overdueAfterMs } = this.options.timers;
      if (onOverdue === 'skip' && timer.lateMs > overdueAfterMs) {
        return await this.drop(
          timer,
          `${what}: ${timer.lateMs} ms overdue, skipped (onOverdue: 'skip')`,
        );
      }
      for (let attempt = 1; attempt <= 5; attempt++) {
        const loaded = await store.load(timer.resourceId);
        if (!loaded) return await this.drop(timer, `${what}: no such row`);
        const fired = entry.timers.fire(loaded.state, loaded.context, timer.timer);
        if (!fired) {
          return await this.drop(
            timer,
            `${what}: takes no transition from ${JSON.stringify(loaded.state)}`,
          );
        }
        const t: CheckedTransition = {
          resource: timer.resource,
          id: timer.resourceId,
          event: timer.timer,
          from: loaded.state,
          to: fired.to,
          payload: {},
          context: loaded.context,
          version: loaded.version,
          actor: TIMER_ACTOR,
          correlationId: null,
        };
        const commit = this.commit;
        if (!commit) throw new Error('TransitionTimers: no commit (TransitionService not created)');
        const outcome = await commit(t, timer);
        if (outcome !== 'lost-race') return outcome;
      }
      this.logger.warn(`${what}: lost 5 races in a row; left to its lease`);
      return 'lost-race';
    } catch (err) {
      this.failed(`Firing ${what}`, err);
      return 'failed';
    }
  }

  private async drop(timer: ClaimedTimer, why: string): Promise<'dropped'> {
    this.logger.log(`${why}; dropped`);
    await this.store.remove(timer);
    return 'dropped';
  }

  private failed(action: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof StoreUnavailableError || isUnavailableException(err)) {
      this.logger.warn(`${action} failed, the store is unavailable (retried later): ${message}`);
    } else {
      this.logger.error(
        `${action} failed: ${message}`,
        err instanceof Error ? err.stack : undefined,
      );
    }
  }
}

/** The 503 a commit answers when its store is down. */
function isUnavailableException(err: unknown): boolean {
  return (err as { getStatus?: () => number } | null)?.getStatus?.() === 503;
}
