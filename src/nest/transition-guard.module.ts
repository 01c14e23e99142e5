import { Global, Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { DiscoveryModule, ModuleRef } from '@nestjs/core';
import { IDEMPOTENCY_STORE, MemoryIdempotencyStore, type IdempotencyStore } from '../http/index.js';
import type { TransitionResource } from './resource-definition.js';
import type { StateLoader } from './state-loader.interface.js';
import type { TransitionStore } from '../store/index.js';
import { TransitionExplorer } from './transition-explorer.js';
import {
  TRANSITION_GUARD_MODULE_OPTIONS,
  TRANSITION_GUARD_OPTIONS,
  TransitionGuardConfigurableModule,
} from './transition-guard.module-definition.js';
import {
  resolveOptions,
  type ResolvedTransitionGuardOptions,
  type TransitionGuardOptions,
} from './transition-guard.options.js';
import { TransitionRegistry } from './transition-registry.js';
import { TransitionService } from './transition.service.js';

/** The registry and the bootstrap check, once per application whatever imports it. */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [TransitionRegistry, TransitionExplorer, TransitionService],
  exports: [TransitionRegistry, TransitionService],
})
export class TransitionGuardCoreModule {}

/** Where `forFeature()` registers its resources. */
@Module({})
export class TransitionGuardFeatureModule {}

/**
 * The NestJS module: `forRoot(options)` / `forRootAsync(...)` once (options validated at
 * bootstrap), `forFeature([...resources])` in each module that owns resources.
 *
 * @example
 * @Module({
 *   imports: [
 *     TransitionGuardModule.forRoot({ problemDetails: false }),
 *     TransitionGuardModule.forFeature(
 *       [{ resource: 'order', machine: orderMachine, loader: OrderStateLoader }],
 *       { imports: [TypeOrmModule.forFeature([Order])] },
 *     ),
 *   ],
 * })
 * export class OrdersModule {}
 */
@Module({
  imports: [TransitionGuardCoreModule],
  providers: [
    {
      provide: TRANSITION_GUARD_OPTIONS,
      useFactory: (options: TransitionGuardOptions) => resolveOptions(options),
      inject: [TRANSITION_GUARD_MODULE_OPTIONS],
    },
    {
      // The class named in options.idempotency.store, built with DI; else one in memory.
      provide: IDEMPOTENCY_STORE,
      useFactory: async (options: ResolvedTransitionGuardOptions, moduleRef: ModuleRef) =>
        options.idempotency.store
          ? moduleRef.create(options.idempotency.store as Type<IdempotencyStore>)
          : new MemoryIdempotencyStore(),
      inject: [TRANSITION_GUARD_OPTIONS, ModuleRef],
    },
  ],
  exports: [TRANSITION_GUARD_OPTIONS, IDEMPOTENCY_STORE],
})
export class TransitionGuardModule extends TransitionGuardConfigurableModule {
  /**
   * Registers resources: each machine is compiled at bootstrap (a broken one stops the app) and
   * its loader, an injectable class, is provided here. `imports` are the modules the loaders'
   * dependencies come from (`TypeOrmModule.forFeature([Order])` for a repository).
   */
  static forFeature(
    resources: readonly TransitionResource[],
    options: { imports?: NonNullable<DynamicModule['imports']> } = {},
  ): DynamicModule {
    const providers: Provider[] = [];
    for (const r of resources) {
      const classes = [r.loader, r.store].filter(
        (c): c is NonNullable<typeof c> => c !== undefined,
      );
      if (!classes.length) {
        throw new Error(
          `TransitionGuardModule.forFeature(): resource '${r.resource}' needs a loader or a store: ` +
            `{ resource: '${r.resource}', machine, store: OrderStore } or { ..., loader: OrderStateLoader }.`,
        );
      }
      providers.push(...classes, {
        provide: Symbol.for(`transition-guard:resource:${r.resource}`),
        useFactory: (registry: TransitionRegistry, ...instances: unknown[]) =>
          registry.register(r, {
            loader: r.loader ? (instances[0] as StateLoader) : undefined,
            store: r.store ? (instances[classes.length - 1] as TransitionStore) : undefined,
          }),
        inject: [TransitionRegistry, ...classes],
      });
    }
    return {
      module: TransitionGuardFeatureModule,
      imports: [TransitionGuardCoreModule, ...(options.imports ?? [])],
      providers,
      exports: resources.flatMap((r) => [r.loader, r.store].filter((c) => c !== undefined)),
    };
  }
}
