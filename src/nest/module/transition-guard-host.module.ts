import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { DiscoveryModule, ModuleRef } from '@nestjs/core';
import {
  IDEMPOTENCY_STORE,
  type IdempotencyStore,
} from '../../store/idempotency-store.interface.js';
import { OUTBOX_STORE, type OutboxStore } from '../../store/outbox-store.interface.js';
import { MemoryIdempotencyStore } from '../../store/memory-idempotency-store.js';
import { MemoryOutboxStore } from '../../store/memory-outbox-store.js';
import { MemoryTimerStore } from '../../store/memory-timer-store.js';
import { TIMER_STORE, type TimerStore } from '../../store/timer-store.interface.js';
import { TransitionTimers } from '../timers/transition-timers.js';
import { IdempotencyRetention } from '../idempotency/idempotency-retention.js';
import { TransitionOutbox } from '../outbox/transition-outbox.js';
import { TransitionService } from '../commit/transition.service.js';
import {
  TRANSITION_GUARD_MODULE_OPTIONS,
  TRANSITION_GUARD_OPTIONS,
} from '../definition/module-definition.js';
import {
  resolveOptions,
  type ResolvedTransitionGuardOptions,
  type TransitionGuardOptions,
} from '../definition/options.js';
import { TransitionExplorer } from './transition-explorer.js';
import { StoredStateCheck } from './stored-state-check.js';
import { TransitionRegistry } from '../definition/transition-registry.js';

/**
 * The application-wide part of the module, global: the validated options, the registry that
 * `forFeature()` fills, the idempotency and outbox stores, the outbox, the service and the
 * bootstrap check. Created by
 * `TransitionGuardModule.forRoot()` / `forRootAsync()` with the providers of the raw options.
 */
@Module({})
export class TransitionGuardHostModule {
  static register(options: {
    providers: Provider[];
    imports: DynamicModule['imports'];
  }): DynamicModule {
    return {
      module: TransitionGuardHostModule,
      global: true,
      imports: [DiscoveryModule, ...(options.imports ?? [])],
      providers: [
        ...options.providers,
        {
          provide: TRANSITION_GUARD_OPTIONS,
          useFactory: (raw: TransitionGuardOptions) => resolveOptions(raw),
          inject: [TRANSITION_GUARD_MODULE_OPTIONS],
        },
        libraryStore<IdempotencyStore>(
          IDEMPOTENCY_STORE,
          (o) => o.idempotency.store,
          () => new MemoryIdempotencyStore(),
        ),
        libraryStore<OutboxStore>(
          OUTBOX_STORE,
          (o) => o.outbox.store,
          () => new MemoryOutboxStore(),
        ),
        libraryStore<TimerStore>(
          TIMER_STORE,
          (o) => o.timers.store,
          () => new MemoryTimerStore(),
        ),
        TransitionRegistry,
        TransitionExplorer,
        StoredStateCheck,
        TransitionOutbox,
        TransitionTimers,
        TransitionService,
        IdempotencyRetention,
      ],
      exports: [
        TRANSITION_GUARD_OPTIONS,
        IDEMPOTENCY_STORE,
        OUTBOX_STORE,
        TIMER_STORE,
        TransitionRegistry,
        TransitionOutbox,
        TransitionTimers,
        TransitionService,
      ],
    };
  }
}

/**
 * A library store's provider: the class an option names (`idempotency.store`, `outbox.store`,
 * `timers.store`), built with DI, else one in memory; checked at bootstrap (`verify`).
 */
function libraryStore<T extends object>(
  token: symbol,
  named: (options: ResolvedTransitionGuardOptions) => Type<T> | undefined,
  memory: () => T,
): Provider {
  return {
    provide: token,
    useFactory: async (resolved: ResolvedTransitionGuardOptions, moduleRef: ModuleRef) => {
      const type = named(resolved);
      const store = type ? await moduleRef.create<T>(type) : memory();
      (store as { verify?: () => void }).verify?.();
      return store;
    },
    inject: [TRANSITION_GUARD_OPTIONS, ModuleRef],
  };
}
