import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type INestApplicationContext,
  type OnApplicationBootstrap,
  type Type,
} from '@nestjs/common';
import type { StoredState } from '../core/index.js';
import { MemoryTransitionStore } from '../store/memory-transition-store.js';
import type { TransitionGuardOptions } from '../nest/definition/options.js';
import type { TransitionResource } from '../nest/definition/resource-definition.js';
import { TransitionGuardModule } from '../nest/module/transition-guard.module.js';
import { TransitionTimers } from '../nest/timers/transition-timers.js';

/** A resource's rows for a test, by id. */
export type SeedRows = Readonly<
  Record<
    string,
    { readonly state: StoredState; readonly context?: object; readonly version?: number }
  >
>;

/**
 * The injection token of the memory store a testing module gives `resource`.
 *
 * @example
 * const store = app.get<MemoryTransitionStore>(testingStoreToken('order'));
 * store.insert('9', { state: 'paid', context: { total: 10, paid: 10 } });
 */
export const testingStoreToken = (resource: string): symbol =>
  Symbol.for(`transition-guard:testing-store:${resource}`);

/**
 * A module for testing guarded controllers without a database: `TransitionGuardModule.forRoot()`
 * and `forFeature()` with every resource's store replaced by a `MemoryTransitionStore` seeded
 * with `seed[resource]` (rows by id). Get a store to inspect or change rows with
 * `app.get(testingStoreToken('order'))`.
 *
 * @example
 * const moduleRef = await Test.createTestingModule({
 *   imports: [transitionTestingModule({ resources: [order], seed: { order: { '1': { state: 'paid', context: { total: 10, paid: 10 } } } } })],
 *   controllers: [OrdersController],
 *   providers: [OrdersService],
 * }).compile();
 */
export function transitionTestingModule(options: {
  readonly resources: readonly TransitionResource[];
  readonly seed?: Readonly<Record<string, SeedRows>>;
  readonly options?: TransitionGuardOptions;
}): DynamicModule {
  const stores: Type<MemoryTransitionStore>[] = [];
  const replaced = options.resources.map((r): TransitionResource => {
    const rows = options.seed?.[r.resource] ?? {};
    @Injectable()
    class SeededStore extends MemoryTransitionStore {
      constructor() {
        super();
        for (const [id, row] of Object.entries(rows)) {
          this.insert(id, {
            state: row.state,
            context: (row.context ?? {}) as Record<string, unknown>,
            version: row.version,
          });
        }
      }
    }
    Object.defineProperty(SeededStore, 'name', { value: `${r.resource}TestingStore` });
    stores.push(SeededStore);
    return {
      resource: r.resource,
      machine: r.machine,
      store: SeededStore,
      payloads: r.payloads,
      locking: r.locking,
    };
  });
  /** The seeded rows' timers, armed as a created row's are (`TransitionTimers.start`). */
  @Injectable()
  class SeededTimers implements OnApplicationBootstrap {
    constructor(@Inject(TransitionTimers) private readonly timers: TransitionTimers) {}
    async onApplicationBootstrap(): Promise<void> {
      for (const r of replaced) {
        for (const [id, row] of Object.entries(options.seed?.[r.resource] ?? {})) {
          await this.timers.start(r.resource, id, row);
        }
      }
    }
  }
  @Module({})
  class TransitionTestingModule {}
  const feature = TransitionGuardModule.forFeature(replaced);
  const given = options.options ?? {};
  // Timers fire when the test says so (advanceTime), not on a wall-clock loop.
  const root = { ...given, timers: { fire: false, ...given.timers } };
  return {
    module: TransitionTestingModule,
    imports: [TransitionGuardModule.forRoot(root), feature],
    providers: [
      SeededTimers,
      ...replaced.map((r, i) => ({
        provide: testingStoreToken(r.resource),
        useExisting: stores[i],
      })),
    ],
    exports: [feature, ...replaced.map((r) => testingStoreToken(r.resource))],
  };
}

/**
 * Moves the testing module's timer clock (`MemoryTimerStore`) forward by `ms` and fires every
 * timer then due, through the same commit as the firing loop's (actor `system:timer`): "after 30
 * minutes the order is expired" in a millisecond. Resolves with how many fired.
 *
 * @example
 * await advanceTime(app, 30 * 60_000);
 * expect(app.get<MemoryTransitionStore>(testingStoreToken('order')).rows.get('1')?.state).toBe('expired');
 */
export function advanceTime(app: INestApplicationContext, ms: number): Promise<number> {
  return app.get(TransitionTimers).fireDue(ms);
}
