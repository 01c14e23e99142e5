import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { AnyStateMachine } from 'xstate';
import {
  createValidator,
  MachineTimers,
  type ContextFreeTransitions,
  type TransitionValidator,
} from '../../core/index.js';
import { canonicalJson } from '../../core/canonical-json.js';
import { encodeState } from '../../core/state-value.js';
import type { TransitionStore } from '../../store/index.js';
import type { TransitionResource } from './resource-definition.js';
import type { StateLoader } from './state-loader.interface.js';

/** A registered resource: its machine compiled once, and where it is loaded from and written to. */
export interface RegisteredResource {
  readonly resource: string;
  readonly machine: AnyStateMachine;
  readonly validator: TransitionValidator;
  readonly loader: StateLoader;
  /** Where `TransitionService.commit()` writes; absent for check-only (loader-only) resources. */
  readonly store: TransitionStore | undefined;
  /** How commits lock by default (`defineResource({ locking })`). */
  readonly locking: 'optimistic' | 'pessimistic';
  /** A hash of the machine's definition (12 hex digits), logged with each transition. */
  readonly machineVersion: string;
  /** The validator's `contextFree(event)`, computed once per event. */
  readonly contextFree: (event: string) => ContextFreeTransitions;
  /** The machine's `after` transitions as durable timers. */
  readonly timers: MachineTimers;
}

/** The HTTP route that sends one event of a resource (a fixed-event `@Transition()` route). */
export interface EventRoute {
  /** `POST`, ... */
  readonly method: string;
  /** The path, with `:id` where the resource id goes (`/orders/:id/ship`). */
  readonly path: string;
}

/**
 * The resources registered with `TransitionGuardModule.forFeature()`, by name: what a route or a
 * service asks about a machine (`registry.get('order').validator.explain(...)`).
 *
 * @example
 * const { validator } = registry.get('order')!;
 * validator.explain({ state: row.status, context: { total: row.total, paid: row.paid } });
 */
@Injectable()
export class TransitionRegistry {
  private readonly entries = new Map<string, RegisteredResource>();
  private readonly eventRoutes = new Map<string, Map<string, EventRoute>>();

  /** Records the route that sends `event` (the first one found wins). Called at bootstrap. */
  addRoute(resource: string, event: string, route: EventRoute): void {
    const routes = this.eventRoutes.get(resource) ?? new Map<string, EventRoute>();
    this.eventRoutes.set(resource, routes);
    if (!routes.has(event)) routes.set(event, route);
  }

  /** The routes that send the resource's events, by event. */
  routesOf(resource: string): ReadonlyMap<string, EventRoute> | undefined {
    return this.eventRoutes.get(resource);
  }

  /** Compiles the machine (failing at bootstrap on a broken one) and keeps the entry. */
  register(
    resource: TransitionResource,
    source: { loader?: StateLoader; store?: TransitionStore },
  ): RegisteredResource {
    const name = resource.resource;
    const where = `TransitionGuardModule.forFeature(): resource '${name}'`;
    if (this.entries.has(name)) {
      throw new Error(
        `${where} is registered twice. Register each resource once (a loader can serve several routes).`,
      );
    }
    const store = source.store;
    if (store && (typeof store.compareAndSet !== 'function' || typeof store.load !== 'function')) {
      throw new Error(`${where}: its store must implement TransitionStore (load, compareAndSet).`);
    }
    const loader = source.loader ?? (store && { load: (id: string) => store.load(id) });
    if (typeof loader?.load !== 'function') {
      throw new Error(
        `${where} has no loader with a load(id, context) method. ` +
          `Give { store: a class implementing TransitionStore } or { loader: a class implementing StateLoader }.`,
      );
    }
    const validator = createValidator(resource.machine, { name, payloads: resource.payloads });
    const timers = new MachineTimers(resource.machine);
    const entry: RegisteredResource = {
      resource: name,
      machine: resource.machine,
      validator,
      loader,
      store,
      locking: resource.locking ?? 'optimistic',
      machineVersion: createHash('sha256')
        .update(canonicalJson(validator.describe(), 10_000))
        .digest('hex')
        .slice(0, 12),
      // A commit that does not read the row cannot give a delay the context it reads.
      contextFree: memo((event) => {
        const free = validator.contextFree(event);
        if (!timers.readsContext || !('transitions' in free)) return free;
        const timed = free.transitions.find((t) => timers.delayReadsContext(t.to));
        return timed
          ? { why: `entering '${encodeState(timed.to)}' arms a timer whose delay reads context` }
          : free;
      }),
      timers,
    };
    this.entries.set(name, entry);
    return entry;
  }

  /** The registered resource of that name, or undefined. */
  get(resource: string): RegisteredResource | undefined {
    return this.entries.get(resource);
  }

  /**
   * The registered resource of that name; throws, naming the registered ones, when there is none.
   *
   * @example
   * registry.resource('order').validator.allowedEvents({ state: 'paid' }); // ['SHIP', 'CANCEL', 'REFUND']
   */
  resource(resource: string): RegisteredResource {
    const entry = this.entries.get(resource);
    if (!entry) {
      throw new Error(
        `No resource '${resource}' is registered (registered: ${this.resources().join(', ') || 'none'}). ` +
          `Register it with TransitionGuardModule.forFeature([...]).`,
      );
    }
    return entry;
  }

  /** Names of every registered resource. */
  resources(): string[] {
    return [...this.entries.keys()];
  }
}

/** A function of an event type, called once per type. */
function memo<T>(of: (event: string) => T): (event: string) => T {
  const known = new Map<string, T>();
  return (event) => {
    if (!known.has(event)) known.set(event, of(event));
    return known.get(event) as T;
  };
}
