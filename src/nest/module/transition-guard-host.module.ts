import { Module, type DynamicModule, type Provider } from '@nestjs/common';
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
        {
          // The class named in options.idempotency.store, built with DI; else one in memory.
          provide: IDEMPOTENCY_STORE,
          useFactory: async (resolved: ResolvedTransitionGuardOptions, moduleRef: ModuleRef) => {
            const store: IdempotencyStore = resolved.idempotency.store
              ? await moduleRef.create<IdempotencyStore>(resolved.idempotency.store)
              : new MemoryIdempotencyStore();
            store.verify?.();
            return store;
          },
          inject: [TRANSITION_GUARD_OPTIONS, ModuleRef],
        },
        {
          // The class named in options.outbox.store, built with DI; else one in memory.
          provide: OUTBOX_STORE,
          useFactory: async (resolved: ResolvedTransitionGuardOptions, moduleRef: ModuleRef) => {
            const store: OutboxStore = resolved.outbox.store
              ? await moduleRef.create<OutboxStore>(resolved.outbox.store)
              : new MemoryOutboxStore();
            store.verify?.();
            return store;
          },
          inject: [TRANSITION_GUARD_OPTIONS, ModuleRef],
        },
        {
          // The class named in options.timers.store, built with DI; else one in memory.
          provide: TIMER_STORE,
          useFactory: async (resolved: ResolvedTransitionGuardOptions, moduleRef: ModuleRef) => {
            const store: TimerStore = resolved.timers.store
              ? await moduleRef.create<TimerStore>(resolved.timers.store)
              : new MemoryTimerStore();
            store.verify?.();
            return store;
          },
          inject: [TRANSITION_GUARD_OPTIONS, ModuleRef],
        },
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
