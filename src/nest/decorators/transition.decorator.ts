import {
  applyDecorators,
  SetMetadata,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import type { AnyStateMachine, ContextFrom } from 'xstate';
import type { EventTypeOf } from '../../core/index.js';
import { TransitionExceptionFilter } from '../response/transition-exception.filter.js';
import { TransitionGuard } from '../pipeline/transition.guard.js';
import type { PayloadSchemas, TransitionResource } from '../definition/resource-definition.js';
import { TransitionInterceptor } from '../response/transition.interceptor.js';
import {
  TRANSITION_METADATA,
  type IdSource,
  type GuardCommit,
  type LockedCommit,
  type TransitionMetadata,
  type UnreadCommit,
} from '../definition/transition-metadata.js';
import type { ChangesOf, PayloadOf } from '../definition/checked-transition.js';
import type { TransitionStore } from '../../store/index.js';

export interface TransitionDecoratorOptions<
  TPayload = Record<string, unknown>,
  TChanges extends object = Record<string, unknown>,
  TContext = unknown,
> {
  /**
   * Where the resource id comes from. Default: the route param `id`. A string names another route
   * param; `{ header }`, `{ query }` or a function of the request are also accepted.
   */
  readonly id?: IdSource;
  /** `'required'`: answer 428 to a request without `If-Match`. Default: the module option. */
  readonly ifMatch?: 'optional' | 'required';
  /** Honour `Idempotency-Key`: a repeated request gets the first one's response replayed. */
  readonly idempotency?: boolean;
  /**
   * The handler never commits: the route only checks (a resource registered with a loader only
   * may serve it although its controller injects `TransitionService`).
   */
  readonly checkOnly?: boolean;
  /**
   * Take audit fields from the body into the transition log: `reason` (a string up to 200
   * characters), `comment` (up to 2,000) and `metadata` (a JSON object, up to 4 KB and 5 levels).
   * They are not part of the event's payload; a payload schema declaring one of them is a
   * bootstrap error. Wrong types or sizes answer 400 `INVALID_AUDIT`.
   */
  readonly audit?: boolean;
  /**
   * The guard commits the transition itself, in one conditional statement without reading the
   * row, before the handler runs; the handler gets `@CommittedTransition()`. For an event no
   * guard and no context decides (`TransitionValidator.contextFree`): else a bootstrap error.
   * `true`, or `{ changes: (payload) => fields, returning }`.
   */
  readonly commit?: true | UnreadCommit<TPayload, TChanges>;
  /**
   * The guard commits the transition itself under a row lock, for any event: the row locked,
   * read, checked and written in one transaction, before the handler runs (hot rows: requests
   * queue instead of racing). `true`, or `{ changes: (payload, row) => fields, returning }`.
   */
  readonly commitLocked?: true | LockedCommit<TPayload, TChanges, TContext>;
}

/**
 * Guards a route: before the handler runs, the resource is loaded and the event checked against
 * its machine. A refusal answers 409 (or 400, 403, 404: see the README's order of checks); the
 * handler gets what was checked through `@CurrentTransition()`. Attaches the guard and its filter
 * itself, and the interceptor where `idempotency` needs one; works with the guard registered
 * globally as `APP_GUARD` too. Usable on a method or a class. A commit answers with
 * `ETag: "v<version>"`, set when it settles (after the app's transaction, inside one).
 *
 * With a resource from `defineResource()` the event is type-checked against the machine's events.
 * With no event, the event comes from the request body: `POST /orders/:id/events` with
 * `{ "type": "SHIP", ...payload }`; with a fixed event, the body is the payload.
 *
 * @example
 * @Post(':id/ship')
 * @Transition(order, 'SHIP') // `order` from defineResource(): 'SHIPP' would not compile
 * ship(@CurrentTransition() t: CurrentTransition<typeof order, 'SHIP'>) { ... }
 *
 * @Post(':id/events')
 * @Transition(order, undefined, { idempotency: true })
 * send(@CurrentTransition() t: CurrentTransition<typeof order>) { ... }
 */
export function Transition<
  M extends AnyStateMachine,
  S extends TransitionStore<ContextFrom<M>, object>,
  P extends PayloadSchemas,
  // `& string` keeps the literal ('SHIP') instead of widening it to every event of M.
  E extends EventTypeOf<M> & string,
>(
  resource: TransitionResource<M, S, P>,
  event?: E,
  options?: NoInfer<TransitionDecoratorOptions<PayloadOf<M, P, E>, ChangesOf<S>, ContextFrom<M>>>,
): ClassDecorator & MethodDecorator;
/** A resource by name: the event is checked at bootstrap, not at compile time. */
export function Transition(
  resource: string,
  event?: string,
  options?: TransitionDecoratorOptions,
): ClassDecorator & MethodDecorator;
export function Transition(
  resource: TransitionResource | string,
  event?: string,
  options: TransitionDecoratorOptions<never, object, never> = {},
): ClassDecorator & MethodDecorator {
  const metadata: TransitionMetadata = {
    resource: typeof resource === 'string' ? resource : resource.resource,
    event,
    id: options.id ?? 'id',
    ...(options.ifMatch ? { ifMatch: options.ifMatch } : {}),
    ...(options.idempotency ? { idempotency: true } : {}),
    ...(options.checkOnly ? { checkOnly: true } : {}),
    ...(options.audit ? { audit: true } : {}),
    ...guardCommitOf(options),
  };
  const decorators = [
    SetMetadata(TRANSITION_METADATA, metadata),
    UseGuards(TransitionGuard),
    UseFilters(TransitionExceptionFilter),
  ];
  // Only a feature that answers around the handler needs an interceptor (replaying and storing
  // an Idempotency-Key's response): any interceptor moves NestJS onto its Observable path, tens
  // of µs per request whatever the interceptor does (bench row (ai)). The commit sets the ETag.
  if (options.idempotency) decorators.push(UseInterceptors(TransitionInterceptor));
  return applyDecorators(...decorators);
}

/** What the guard commits, from `commit` or `commitLocked` (typed per route by the overloads). */
function guardCommitOf(options: TransitionDecoratorOptions<never, object, never>): {
  commit?: GuardCommit;
} {
  const { commit, commitLocked } = options;
  if (commit && commitLocked) {
    throw new Error('@Transition(): give commit or commitLocked, not both.');
  }
  if (commit) return { commit: { ...(commit === true ? {} : commit), lock: false } as GuardCommit };
  if (commitLocked) {
    return {
      commit: { ...(commitLocked === true ? {} : commitLocked), lock: true } as GuardCommit,
    };
  }
  return {};
}
