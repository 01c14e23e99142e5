import { Injectable } from '@nestjs/common';
import type { AnyStateMachine } from 'xstate';
import { createValidator, type TransitionValidator } from '../core/index.js';
import type { TransitionResource } from './resource-definition.js';
import type { StateLoader } from './state-loader.interface.js';
import type { TransitionStore } from '../store/index.js';

/** A registered resource: its machine compiled once, and its loader instance. */
export interface RegisteredResource {
  readonly resource: string;
  readonly machine: AnyStateMachine;
  readonly validator: TransitionValidator;
  readonly loader: StateLoader;
  /** Where `TransitionService.commit()` writes; absent for loader-only resources. */
  readonly store: TransitionStore<any, any> | undefined;
}

/** The resources registered with `TransitionGuardModule.forFeature()`, by name. */
@Injectable()
export class TransitionRegistry {
  private readonly entries = new Map<string, RegisteredResource>();

  /** Compiles the machine (failing at bootstrap on a broken one) and keeps the entry. */
  register(
    resource: TransitionResource,
    source: { loader?: StateLoader; store?: TransitionStore<any, any> },
  ): RegisteredResource {
    const store = source.store;
    const loader: StateLoader | undefined =
      source.loader ?? (store && { load: (id) => store.load(id) });
    if (this.entries.has(resource.resource)) {
      throw new Error(
        `TransitionGuardModule.forFeature(): resource '${resource.resource}' is registered twice. ` +
          `Register each resource once (a loader can serve several routes).`,
      );
    }
    if (typeof loader?.load !== 'function') {
      throw new Error(
        `TransitionGuardModule.forFeature(): resource '${resource.resource}' has no loader with a load(id, context) method. ` +
          `Give { loader: a class implementing StateLoader } or { store: a class implementing TransitionStore }.`,
      );
    }
    if (store && (typeof store.compareAndSet !== 'function' || typeof store.load !== 'function')) {
      throw new Error(
        `TransitionGuardModule.forFeature(): the store of '${resource.resource}' must implement TransitionStore (load, compareAndSet).`,
      );
    }
    const entry: RegisteredResource = {
      resource: resource.resource,
      machine: resource.machine,
      validator: createValidator(resource.machine, {
        name: resource.resource,
        payloads: resource.payloads,
      }),
      loader,
      store,
    };
    this.entries.set(resource.resource, entry);
    return entry;
  }

  get(resource: string): RegisteredResource | undefined {
    return this.entries.get(resource);
  }

  /** Names of every registered resource. */
  resources(): string[] {
    return [...this.entries.keys()];
  }
}
