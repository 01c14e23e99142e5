import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import type { TransitionStore } from '../../store/index.js';
import { messages } from '../errors/messages.js';
import { TransitionGuardConfigurableModule } from '../definition/module-definition.js';
import type { TransitionGuardOptions } from '../definition/options.js';
import type { TransitionResource } from '../definition/resource-definition.js';
import type { StateLoader } from '../definition/state-loader.interface.js';
import { TransitionGuardHostModule } from './transition-guard-host.module.js';
import { TransitionRegistry } from '../definition/transition-registry.js';

/** Options of `TransitionGuardModule.forRootAsync()`: `useFactory`, `useClass` or `useExisting`, with `imports` and `inject`. */
export type TransitionGuardAsyncOptions = Parameters<
  typeof TransitionGuardConfigurableModule.forRootAsync
>[0];

/** Where `forFeature()` registers its resources. */
@Module({})
export class TransitionGuardFeatureModule {}

/**
 * The NestJS module: `forRoot(options)` or `forRootAsync(...)` once, in the root module (options
 * validated at bootstrap; its providers are application-wide), and `forFeature([...resources])`
 * in each module that owns resources.
 *
 * @example
 * @Module({
 *   imports: [TransitionGuardModule.forRoot({ problemDetails: true })],
 * })
 * export class AppModule {}
 *
 * @Module({
 *   imports: [TypeOrmModule.forFeature([Order]), TransitionGuardModule.forFeature([order])],
 *   controllers: [OrdersController],
 * })
 * export class OrdersModule {}
 */
@Module({})
export class TransitionGuardModule extends TransitionGuardConfigurableModule {
  /** Options given directly. */
  static override forRoot(options: TransitionGuardOptions): DynamicModule {
    return TransitionGuardModule.host(super.forRoot(options));
  }

  /** Options from a factory, a class or an existing provider (`useFactory`, `useClass`, `useExisting`). */
  static override forRootAsync(options: TransitionGuardAsyncOptions): DynamicModule {
    return TransitionGuardModule.host(super.forRootAsync(options));
  }

  private static host(definition: DynamicModule): DynamicModule {
    return {
      module: TransitionGuardModule,
      imports: [
        TransitionGuardHostModule.register({
          providers: definition.providers ?? [],
          imports: definition.imports,
        }),
      ],
    };
  }

  /**
   * Registers resources: each machine is compiled at bootstrap (a broken one stops the app) and
   * its store or loader, an injectable class, is provided here. `imports` are the modules the
   * stores' and loaders' dependencies come from (`TypeOrmModule.forFeature([Order])`).
   */
  static forFeature(
    resources: readonly TransitionResource[],
    options: { imports?: NonNullable<DynamicModule['imports']> } = {},
  ): DynamicModule {
    const providers: Provider[] = [];
    const classes: Type[] = [];
    for (const r of resources) {
      const own = [r.store, r.loader].filter((c): c is Type => c !== undefined);
      if (!own.length) {
        throw new Error(
          `TransitionGuardModule.forFeature(): resource '${r.resource}' needs a store or a loader: ` +
            `{ resource: '${r.resource}', machine, store: OrderStore } or { ..., loader: OrderStateLoader } (check-only).`,
        );
      }
      classes.push(...own);
      providers.push({
        provide: Symbol.for(`transition-guard:resource:${r.resource}`),
        useFactory: (registry: TransitionRegistry | undefined, ...instances: unknown[]) => {
          if (!registry)
            throw new Error(
              messages.noForRoot(`TransitionGuardModule.forFeature(['${r.resource}'])`),
            );
          const store = r.store ? (instances[0] as TransitionStore) : undefined;
          store?.verify?.();
          return registry.register(r, {
            store,
            loader: r.loader ? (instances[own.length - 1] as StateLoader) : undefined,
          });
        },
        inject: [{ token: TransitionRegistry, optional: true }, ...own],
      });
    }
    const unique = [...new Set(classes)];
    return {
      module: TransitionGuardFeatureModule,
      imports: options.imports ?? [],
      providers: [...unique, ...providers],
      exports: unique,
    };
  }
}
