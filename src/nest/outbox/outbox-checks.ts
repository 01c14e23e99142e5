import type { OutboxStore } from '../../store/index.js';
import type { TransitionRegistry } from '../definition/transition-registry.js';
import type { OnTransitionMetadata } from './on-transition.decorator.js';

/**
 * What would make a handler never run, or its messages never commit with the transition: an
 * unregistered resource, an event or a state its machine does not have, a check-only resource
 * (nothing commits), a store whose transactions the outbox store cannot write in.
 */
export function handlerProblems(
  registry: TransitionRegistry,
  outbox: OutboxStore,
  handlers: readonly {
    readonly name: string;
    readonly meta: OnTransitionMetadata;
    /** Where it was declared, for the messages (default: the `@OnTransition()` method). */
    readonly declared?: string;
  }[],
): string[] {
  const problems: string[] = [];
  for (const { name, meta, declared } of handlers) {
    const where = declared ?? `@OnTransition('${meta.resource}') on ${name}`;
    const entry = registry.get(meta.resource);
    if (!entry) {
      problems.push(
        `${where}: no resource '${meta.resource}' is registered (registered: ${registry.resources().join(', ') || 'none'}). Register it with TransitionGuardModule.forFeature([...]).`,
      );
      continue;
    }
    // The machine's events, and the events its `after` timers send when they fire.
    const events = [...entry.validator.events, ...[...entry.timers.byState.values()].flat()];
    for (const event of meta.events ?? []) {
      if (!events.includes(event)) {
        problems.push(
          `${where}: '${event}' is not an event of ${meta.resource} (events: ${events.join(', ')}).`,
        );
      }
    }
    const states = entry.validator.describe().states.map((s) => s.path);
    for (const state of [...(meta.from ?? []), ...(meta.to ?? [])]) {
      if (!states.includes(state)) {
        problems.push(
          `${where}: '${state}' is not a state of ${meta.resource} (states: ${states.filter((s) => s !== '(root)').join(', ')}).`,
        );
      }
    }
    const store = entry.store;
    if (!store) {
      problems.push(
        `${where}: ${meta.resource} is check-only (a loader, no store), so none of its transitions is committed here. Give it a store.`,
      );
      continue;
    }
    const scope = store.transactionScope?.();
    if (scope === undefined || scope !== outbox.transactionScope()) {
      const storeName = store.constructor.name;
      const outboxName = outbox.constructor.name;
      problems.push(
        `${where}: outbox messages are written in the transition's own transaction, but ${outboxName} cannot write in ${storeName}'s transactions. ` +
          `Set TransitionGuardModule.forRoot({ outbox: { store } }) to an outbox store on the same database ` +
          `(TypeOrmOutboxStore for a TypeOrmTransitionStore on the same DataSource, PrismaOutboxStore for a PrismaTransitionStore on the same client, ` +
          `MikroOrmOutboxStore for a MikroOrmTransitionStore on the same EntityManager, DrizzleOutboxStore for a DrizzleTransitionStore on the same database; ` +
          `MemoryOutboxStore for memory stores).`,
      );
    }
  }
  return problems;
}
