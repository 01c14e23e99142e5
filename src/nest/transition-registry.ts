import { Injectable } from '@nestjs/common';
import type { AnyStateMachine } from 'xstate';
import { createValidator, type TransitionValidator } from '../core/index.js';
import type { TransitionResource } from './resource-definition.js';
import type { StateLoader } from './state-loader.interface.js';

/** A registered resource: its machine compiled once, and its loader instance. */
export interface RegisteredResource {
  readonly resource: string;
  readonly machine: AnyStateMachine;
  readonly validator: TransitionValidator;
  readonly loader: StateLoader;
}

/** The resources registered with `TransitionGuardModule.forFeature()`, by name. */
@Injectable()
export class TransitionRegistry {
  private readonly entries = new Map<string, RegisteredResource>();

  /** Compiles the machine (failing at bootstrap on a broken one) and keeps the entry. */
  register(resource: TransitionResource, loader: StateLoader): RegisteredResource {
    if (this.entries.has(resource.resource)) {
      throw new Error(
        `TransitionGuardModule.forFeature(): resource '${resource.resource}' is registered twice. ` +
          `Register each resource once (a loader can serve several routes).`,
      );
    }
    if (typeof loader?.load !== 'function') {
      throw new Error(
        `TransitionGuardModule.forFeature(): the loader of '${resource.resource}' has no load(id, context) method. ` +
          `Give a class implementing StateLoader.`,
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
