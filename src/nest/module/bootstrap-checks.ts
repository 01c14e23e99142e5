import type { TransitionMetadata } from '../definition/transition-metadata.js';
import { AUDIT_FIELDS } from '../definition/audit-fields.js';
import type { RegisteredResource, TransitionRegistry } from '../definition/transition-registry.js';

/** Ids of every common key type, to learn what a store's key accepts. */
const SAMPLE_IDS = ['1', '42', '123e4567-e89b-12d3-a456-426614174000', 'a1', 'order-1'];

/** What is wrong with one `@Transition()` declaration, or nothing. */
export function declarationProblem(
  registry: TransitionRegistry,
  meta: TransitionMetadata,
  where: string,
): string | undefined {
  const decl = `@Transition('${meta.resource}'${meta.event === undefined ? '' : `, '${meta.event}'`}) on ${where}`;
  const entry = registry.get(meta.resource);
  if (!entry) {
    return (
      `${decl}: no resource '${meta.resource}' is registered (registered: ${registry.resources().join(', ') || 'none'}). ` +
      `Register it with TransitionGuardModule.forFeature([{ resource: '${meta.resource}', machine, store }]) or fix the name.`
    );
  }
  if (meta.event !== undefined && !entry.validator.hasEvent(meta.event)) {
    return (
      `${decl}: '${meta.event}' is not an event of machine '${entry.machine.id}' ` +
      `(events: ${entry.validator.events.join(', ')}). Fix the event name or add it to the machine.`
    );
  }
  return undefined;
}

/**
 * A route that can commit (its controller reaches `TransitionService`) on a resource registered
 * with a loader only: every commit would fail. Undefined when the resource has a store, the route
 * is declared check-only, or nothing injects the service.
 */
export function checkOnlyProblem(
  entry: RegisteredResource,
  meta: TransitionMetadata,
  where: string,
  injectsServiceThrough: string | undefined,
): string | undefined {
  if (entry.store || meta.checkOnly || injectsServiceThrough === undefined) return undefined;
  return (
    `@Transition('${meta.resource}') on ${where}: '${meta.resource}' is registered with a loader only ` +
    `(check-only), but ${injectsServiceThrough} injects TransitionService, and commit() needs a store: ` +
    `every commit would fail. Register it with a store ({ resource: '${meta.resource}', machine, store: YourStore }), ` +
    `or declare the route check-only: @Transition(..., { checkOnly: true }).`
  );
}

/** The `idPattern` option matches none of the ids a resource's store can hold. */
export function idPatternProblem(entry: RegisteredResource, idPattern: RegExp): string | undefined {
  const canonical = entry.store?.canonicalId?.bind(entry.store);
  if (!canonical) return undefined;
  const held = SAMPLE_IDS.filter((id) => canonical(id) !== undefined);
  if (!held.length || held.some((id) => idPattern.test(id))) return undefined;
  return (
    `idPattern ${String(idPattern)} matches none of the ids the ${entry.resource} store's key holds ` +
    `(such as '${held[0]}'): every request would be a 400. Remove idPattern to follow each store's key, or widen it.`
  );
}

/**
 * A route taking audit fields (`audit: true`) for an event whose payload schema declares one of
 * them: the field would be taken out of the payload.
 */
export function auditProblem(
  entry: RegisteredResource,
  meta: TransitionMetadata,
  where: string,
): string | undefined {
  if (!meta.audit) return undefined;
  const payloads = entry.validator.describe().payloads as Record<
    string,
    { properties?: Record<string, unknown> } | undefined
  >;
  const events = meta.event === undefined ? entry.validator.events : [meta.event];
  for (const event of events) {
    const clash = AUDIT_FIELDS.find((f) => payloads[event]?.properties?.[f] !== undefined);
    if (clash) {
      return (
        `@Transition('${meta.resource}', ..., { audit: true }) on ${where}: the payload of ${event} declares '${clash}', ` +
        `which audit: true takes for the transition log. Rename the payload field, or drop audit on this route.`
      );
    }
  }
  return undefined;
}

/**
 * A route whose guard commits (`commit`) what one conditional statement cannot: an event that a
 * guard or context decides, an event from the body, a resource without a store.
 */
export function guardCommitProblem(
  entry: RegisteredResource,
  meta: TransitionMetadata,
  where: string,
): string | undefined {
  if (!meta.commit) return undefined;
  const option = meta.commit.lock ? 'commitLocked' : 'commit';
  const decl = `@Transition('${meta.resource}'${meta.event === undefined ? '' : `, '${meta.event}'`}, { ${option} }) on ${where}`;
  const instead = `Drop commit and call TransitionService.commit(t) in the handler (@CurrentTransition() t)`;
  if (meta.event === undefined) {
    return `${decl}: the guard commits one fixed event; this route takes the event from the body. ${instead}.`;
  }
  if (meta.checkOnly) return `${decl}: a route cannot be check-only and commit. Drop one of them.`;
  if (!entry.store) {
    return (
      `${decl}: '${meta.resource}' is registered with a loader only, and the guard commits through a store. ` +
      `Register it with a store ({ resource: '${meta.resource}', machine, store: YourStore }).`
    );
  }
  if (meta.commit.lock) {
    return typeof entry.store.commitLocked === 'function'
      ? undefined
      : `${decl}: the store of '${meta.resource}' cannot lock rows (it has no commitLocked). Use commit in the handler instead.`;
  }
  const free = entry.contextFree(meta.event);
  if ('why' in free) {
    return (
      `${decl}: ${meta.event} cannot be committed without reading the row: ${free.why}. ` +
      `${instead}: it reads the row, so the machine's guards see it.`
    );
  }
  if (!free.transitions.length) {
    return `${decl}: no state of machine '${entry.machine.id}' accepts ${meta.event}.`;
  }
  return undefined;
}
