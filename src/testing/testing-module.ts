import { Injectable, Module, type DynamicModule, type Type } from '@nestjs/common';
import type { StoredState } from '../core/index.js';
import { MemoryTransitionStore } from '../store/memory-transition-store.js';
import type { TransitionGuardOptions } from '../nest/definition/options.js';
import type { TransitionResource } from '../nest/definition/resource-definition.js';
import { TransitionGuardModule } from '../nest/module/transition-guard.module.js';

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
  @Module({})
  class TransitionTestingModule {}
  const feature = TransitionGuardModule.forFeature(replaced);
  return {
    module: TransitionTestingModule,
    imports: [TransitionGuardModule.forRoot(options.options ?? {}), feature],
    providers: replaced.map((r, i) => ({
      provide: testingStoreToken(r.resource),
      useExisting: stores[i],
    })),
    exports: [feature, ...replaced.map((r) => testingStoreToken(r.resource))],
  };
}
