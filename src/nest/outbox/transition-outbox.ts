import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef, Reflector } from '@nestjs/core';
import { lastValueFrom, type Observable } from 'rxjs';
import { matchesState, type StateValue } from 'xstate';
import {
  OutboxRelay,
  transitionEnvelope,
  type RelayRound,
  type TransitionHandler,
} from '../../outbox/index.js';
import { OUTBOX_STORE } from '../../store/outbox-store.interface.js';
import {
  type NewOutboxMessage,
  type OutboxMessage,
  type OutboxStore,
  type TransitionRecord,
  type TransitionStore,
} from '../../store/index.js';
import { TRANSITION_GUARD_OPTIONS } from '../definition/module-definition.js';
import type { ResolvedTransitionGuardOptions } from '../definition/options.js';
import { TransitionRegistry } from '../definition/transition-registry.js';
import { ON_TRANSITION_METADATA, type OnTransitionMetadata } from './on-transition.decorator.js';
import { handlerProblems } from './outbox-checks.js';
import { PostgresWakeUp } from '../../outbox/postgres-wake-up.js';

/** A discovered `@OnTransition()` method, or a destination of `outbox.publish`. */
export interface RegisteredHandler {
  readonly name: string;
  readonly meta: OnTransitionMetadata;
  readonly handle: TransitionHandler;
  readonly declared?: string;
}

/** What `outbox.publish` needs of a `ClientProxy`. */
interface EventClient {
  emit(pattern: unknown, data: unknown): Observable<unknown>;
}

type Publication = ResolvedTransitionGuardOptions['outbox']['publish'][number];

/**
 * The transactional outbox: finds the `@OnTransition()` handlers at bootstrap (failing on an
 * event or a state the machine does not have, or a store the outbox cannot write with), gives
 * `TransitionService.commit()` the messages to write in each transition's transaction, and runs
 * the relay that delivers them. Inject it to see and redrive dead messages.
 *
 * @example
 * const dead = await outbox.deadLetters();
 * await outbox.redrive(dead[0].id); // pending again, attempts reset
 */
@Injectable()
export class TransitionOutbox
  implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('TransitionOutbox');
  private handlers: readonly RegisteredHandler[] = [];
  private relay: OutboxRelay | undefined;
  /** Whether this process's relay runs (`outbox.relay`, and handlers to deliver to). */
  private delivering = false;
  private wakeUp: PostgresWakeUp | undefined;

  /** @internal Nest injects it. */
  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TransitionRegistry) private readonly registry: TransitionRegistry,
    @Inject(TRANSITION_GUARD_OPTIONS) private readonly options: ResolvedTransitionGuardOptions,
    @Inject(OUTBOX_STORE) private readonly store: OutboxStore,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    const found: RegisteredHandler[] = [];
    const problems: string[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (!prototype) continue;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = instance[method];
        if (typeof fn !== 'function') continue;
        const meta = this.reflector.get<OnTransitionMetadata | undefined>(
          ON_TRANSITION_METADATA,
          fn as () => void,
        );
        if (!meta) continue;
        const name = `${instance.constructor.name}.${method}`;
        if (!wrapper.isDependencyTreeStatic()) {
          problems.push(
            `@OnTransition() on ${name}: its provider is request-scoped; deliveries run outside requests. Make it a singleton.`,
          );
          continue;
        }
        if (found.some((h) => h.name === name)) continue; // the same provider in two modules
        found.push({
          name,
          meta,
          handle: (delivery) => (fn as TransitionHandler).call(instance, delivery),
        });
      }
    }
    this.options.outbox.publish.forEach((publication, i) => {
      const handler = this.publisher(publication, i, problems);
      const twin = found.find((h) => h.name === handler?.name);
      if (handler && twin) {
        // One name per destination: the name is what its messages are delivered by.
        problems.push(
          `${handler.declared ?? handler.name}: the same client and resource as ${twin.declared ?? twin.name}. Make them one destination, its events in one list (event: ['PAY', 'SHIP']).`,
        );
      } else if (handler) found.push(handler);
    });
    problems.push(...handlerProblems(this.registry, this.store, found));
    if (problems.length) {
      throw new Error(
        `TransitionGuardModule: ${problems.length} problem(s) with @OnTransition() handlers and outbox.publish:\n- ${problems.join('\n- ')}`,
      );
    }
    this.handlers = found;
    const o = this.options.outbox;
    this.relay = new OutboxRelay(
      this.store,
      new Map(found.map((h) => [h.name, h.handle])),
      {
        batchSize: o.batchSize,
        pollIntervalMs: o.pollIntervalMs,
        leaseMs: o.leaseMs,
        maxAttempts: o.maxAttempts,
        backoff: o.backoff,
        keepDeliveredMs: o.keepDeliveredMs,
      },
      this.logger,
    );
  }

  /**
   * A destination of `outbox.publish` as a handler named `publish:<client>:<resource>`: it emits
   * the transition's envelope through the client and settles when the broker took it.
   */
  private publisher(p: Publication, i: number, problems: string[]): RegisteredHandler | undefined {
    const resource = typeof p.resource === 'string' ? p.resource : p.resource.resource;
    const client = String(p.client);
    const declared = `outbox.publish[${i}] (client ${client}, resource '${resource}')`;
    let proxy: EventClient | undefined;
    try {
      proxy = this.moduleRef.get<EventClient>(p.client, { strict: false });
    } catch {
      proxy = undefined;
    }
    if (typeof proxy?.emit !== 'function') {
      problems.push(
        `${declared}: no ClientProxy is registered as ${client}. Register one, e.g. ClientsModule.register([{ name: ${typeof p.client === 'string' ? `'${client}'` : client}, transport: Transport.REDIS, options: { ... } }]), in a module of this application.`,
      );
      return undefined;
    }
    const emitter = proxy;
    const { pattern } = p;
    return {
      name: `publish:${client}:${resource}`,
      declared,
      meta: {
        resource,
        events: typeof p.event === 'string' ? [p.event] : p.event,
        from: undefined,
        to: undefined,
      },
      handle: async (delivery) => {
        const envelope = transitionEnvelope(delivery);
        const to =
          pattern === undefined
            ? envelope.type
            : typeof pattern === 'string'
              ? pattern
              : pattern(envelope);
        await lastValueFrom(emitter.emit(to, envelope), { defaultValue: undefined });
      },
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    const { relay, notify } = this.options.outbox;
    if (!this.handlers.length) return;
    if (notify) this.wakeUp = await PostgresWakeUp.create(notify, this.logger);
    if (!relay) return;
    this.relay?.start();
    this.delivering = true;
    if (this.wakeUp) void this.wakeUp.listen(() => this.relay?.nudge());
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.relay?.stop(), this.wakeUp?.close()]);
  }

  /** The messages a committed transition writes: one per handler it matches. */
  messagesFor(
    record: TransitionRecord,
    payload: Readonly<Record<string, unknown>>,
  ): NewOutboxMessage[] {
    if (!this.handlers.length) return [];
    return this.handlers
      .filter((h) => matches(h.meta, record))
      .map((h) => ({ handler: h.name, record, payload }));
  }

  /** Whether `store` writes this outbox's messages itself, with its change (`writesMessages`). */
  writtenBy(store: TransitionStore): boolean {
    return this.handlers.length > 0 && (store.writesMessages?.(this.store) ?? false);
  }

  /** Writes messages through the transition's transaction handle. */
  enqueue(tx: unknown, messages: readonly NewOutboxMessage[]): Promise<void> {
    return this.store.enqueue(tx, messages);
  }

  /**
   * Messages were committed in this process: its relay delivers soon, or, when it delivers
   * nothing, the relays of other processes are notified (`outbox.notify`).
   */
  nudge(): void {
    if (this.delivering) this.relay?.nudge();
    else this.wakeUp?.notify();
  }

  /** Names of the handlers found at bootstrap (`Class.method`). */
  handlerNames(): string[] {
    return this.handlers.map((h) => h.name);
  }

  /** Messages parked after `maxAttempts` failures, oldest first, with their last error. */
  deadLetters(limit = 100): Promise<OutboxMessage[]> {
    return this.store.list({ status: 'dead', limit });
  }

  /** Messages waiting for delivery (or a retry), oldest first. */
  pending(limit = 100): Promise<OutboxMessage[]> {
    return this.store.list({ status: 'pending', limit });
  }

  /** A dead message pending again, its attempts reset; false when there is no such dead message. */
  async redrive(id: string): Promise<boolean> {
    const done = await this.store.redrive(id, new Date());
    if (done) this.nudge();
    return done;
  }

  /** Delivers what is due now, in this process (scripts, tests, a relay-less process's shutdown). */
  async drain(): Promise<RelayRound> {
    if (!this.relay)
      throw new Error('TransitionOutbox.drain(): the application is not initialized');
    return this.relay.drain();
  }

  /** Deletes delivered messages older than `keepDeliveredSeconds`; how many. */
  purge(now: Date = new Date()): Promise<number> {
    return this.store.purge(new Date(now.getTime() - this.options.outbox.keepDeliveredMs));
  }
}

function matches(meta: OnTransitionMetadata, record: TransitionRecord): boolean {
  if (meta.resource !== record.resource) return false;
  if (meta.events && !meta.events.includes(record.event)) return false;
  const inState = (patterns: readonly string[] | undefined, value: StateValue) =>
    !patterns || patterns.some((p) => matchesState(p, value));
  return inState(meta.from, record.from as StateValue) && inState(meta.to, record.to as StateValue);
}
