import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import type { TransitionValidator } from '../../core/index.js';
import { etagFor } from '../../http/index.js';
import {
  IDEMPOTENCY_STORE,
  type IdempotencyStore,
} from '../../store/idempotency-store.interface.js';
import { checkRow, requireRoles, type Asked } from '../checks/check-row.js';
import { loadResource } from '../checks/check-transition.js';
import { readIfMatch } from '../checks/preconditions.js';
import { TransitionExchange } from '../commit/transition-exchange.js';
import { TransitionService } from '../commit/transition.service.js';
import type { GuardRequest, RequestedEvent, VersionTag } from '../definition/guard-request.js';
import { TRANSITION_GUARD_OPTIONS } from '../definition/module-definition.js';
import type { ResolvedTransitionGuardOptions } from '../definition/options.js';
import { TRANSITION_METADATA, type TransitionMetadata } from '../definition/transition-metadata.js';
import { TransitionRegistry } from '../definition/transition-registry.js';
import { takeAudit } from '../definition/audit-fields.js';
import { messages } from '../errors/messages.js';
import { IdempotencySession } from '../idempotency/idempotency-session.js';
import { readIdempotentRequest } from '../idempotency/idempotent-request.js';
import {
  asActor,
  asCorrelationId,
  asRoles,
  readEvent,
  readIdFrom,
  requireJsonBody,
  validId,
} from '../request/request-readers.js';
import { callOf } from '../request/transport-call.js';
import { commitUnderRowLock, commitUnread } from './guard-commits.js';

/**
 * Checks the transition a request asks for, in the README's order of checks, each step answering
 * before the next runs: the id (400), the event (400), the event's roles (403), `If-Match` (400,
 * 428), the `Idempotency-Key` (400, 422, 409, or a replay), the resource (404), the preconditions
 * (412, 409 version-mismatch), the machine (409, 400 payload), the roles of the transition taken
 * (403). On success the handler gets `@CurrentTransition()`.
 *
 * One pipeline for every transport: an HTTP route (Express, Fastify), a GraphQL resolver (Apollo,
 * Mercurius: the id and the `input` payload from the field's arguments) and a microservice
 * handler (the id and the payload from the message) are read as one call shape
 * (`TransportCall`) and checked alike. Subclass it for other request shapes: override
 * `getRequest`, `getId`, `getEvent`, `getRoles`, `getActor`, or `throwException` (every refusal
 * goes through it).
 *
 * @example
 * // Registered by @Transition() itself; globally too, if you like (the check then runs once):
 * providers: [{ provide: APP_GUARD, useClass: TransitionGuard }]
 */
@Injectable()
export class TransitionGuard implements CanActivate {
  protected readonly logger = new Logger('TransitionGuard');
  /** @internal */
  protected readonly options: ResolvedTransitionGuardOptions;
  /** @internal */
  protected readonly idempotencyStore: IdempotencyStore;
  /**
   * Commits for routes whose guard commits (`@Transition(..., { commit })`).
   *
   * @internal
   */
  protected readonly transitions: TransitionService | undefined;
  /** @internal */
  protected readonly reflector: Reflector;
  /** @internal */
  protected readonly registry: TransitionRegistry;
  /** @internal The HTTP adapter, which sets the ETag of a commit (absent in a microservice). */
  protected readonly adapterHost: HttpAdapterHost | undefined;

  /** @internal Nest injects it. */
  constructor(
    @Inject(Reflector) reflector: Reflector,
    @Inject(TransitionRegistry) registry: TransitionRegistry,
    // Optional only to fail with a message naming the fix instead of Nest's resolution error.
    @Optional() @Inject(TRANSITION_GUARD_OPTIONS) options?: ResolvedTransitionGuardOptions,
    @Optional() @Inject(IDEMPOTENCY_STORE) idempotencyStore?: IdempotencyStore,
    @Optional() @Inject(TransitionService) transitions?: TransitionService,
    @Optional() @Inject(HttpAdapterHost) adapterHost?: HttpAdapterHost,
  ) {
    if (!options || !idempotencyStore) throw new Error(messages.noForRoot('TransitionGuard'));
    this.reflector = reflector;
    this.registry = registry;
    this.options = options;
    this.idempotencyStore = idempotencyStore;
    this.transitions = transitions;
    this.adapterHost = adapterHost;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const meta = this.reflector.getAllAndOverride<TransitionMetadata | undefined>(
      TRANSITION_METADATA,
      [context.getHandler(), context.getClass()],
    );
    if (!meta) return true;
    const request = this.getRequest(context, meta);
    // Registered both globally (APP_GUARD) and by @Transition(): check once.
    if (TransitionExchange.ofRequest(request)) return true;
    try {
      await this.check(request, meta, context.getType() === 'http' ? context : undefined);
    } catch (err) {
      this.throwException(err instanceof Error ? err : new Error(String(err)));
    }
    return true;
  }

  /** The steps, in order; leaves the call's exchange for the handler and the response. */
  private async check(
    request: GuardRequest,
    meta: TransitionMetadata,
    http: ExecutionContext | undefined,
  ): Promise<void> {
    const entry = this.registry.get(meta.resource);
    if (!entry) throw new Error(messages.unregisteredAtRuntime(meta.resource));
    // A GraphQL field or a message has no HTTP body of its own to check.
    if (http) requireJsonBody(request, entry.resource);
    const id = validId(entry, this.getId(request, meta), this.options.idPattern);
    const sent = this.getEvent(request, meta, entry);
    const { requested, audit } = meta.audit ? takeAudit(sent, entry.resource) : { requested: sent };
    const roles = this.getRoles(request);
    requireRoles({ entry, id, roles }, requested.type, entry.validator.rolesFor(requested.type));
    const required = meta.ifMatch ? meta.ifMatch === 'required' : this.options.requireIfMatch;
    const ifMatch = readIfMatch(request.headers['if-match'], required, entry.resource, id);
    const actor = this.getActor(request, entry.resource);
    const keyed = meta.idempotency
      ? readIdempotentRequest(
          request,
          { resource: entry.resource, id, event: requested.type },
          { caller: actor, roles, anonymousKeys: this.options.idempotency.anonymousKeys },
        )
      : undefined;
    const opened = keyed
      ? await IdempotencySession.open(
          this.idempotencyStore,
          keyed,
          this.options.idempotency,
          entry.resource,
          this.logger,
        )
      : undefined;
    if (opened && 'replay' in opened) {
      TransitionExchange.replaying(request, opened.replay);
      return;
    }
    const asked: Asked = {
      request,
      entry,
      id,
      requested,
      ifMatch,
      opened,
      audit,
      actor,
      roles,
      correlationId: asCorrelationId(this.options.getCorrelationId(request)),
      tagVersion: http && this.versionTagOf(http),
    };
    try {
      // The guard commits: under a row lock (commitLocked), or without reading the row first
      // when one statement can decide (commit).
      const commit = meta.commit;
      if (commit?.lock) {
        await commitUnderRowLock(asked, commit, this.committer(), this.logger);
        return;
      }
      if (commit && (await commitUnread(asked, commit, this.committer()))) return;
      const loaded = await loadResource(entry, id, requested.type, request, this.logger);
      const { transition, pinned, roles: declared } = checkRow(asked, loaded, this.logger);
      const exchange = TransitionExchange.checked(asked, transition, pinned, declared);
      if (commit) {
        const changes = commit.changes?.(transition.payload);
        exchange.committed = commit.returning
          ? await this.committer().commit(transition, changes, { returning: true })
          : await this.committer().commit(transition, changes);
      }
    } catch (err) {
      // Refused or failed before committing: nothing changed, so the key is free again.
      if (!TransitionExchange.ofRequest(request)?.committed) await opened?.abandon();
      throw err;
    }
  }

  /**
   * Over HTTP, the commit's version as `ETag: "v<version>"`, set on the response when the commit
   * settles (no interceptor needed: a route whose features need none runs without one).
   */
  private versionTagOf(context: ExecutionContext): VersionTag | undefined {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter) return undefined;
    const response: unknown = context.switchToHttp().getResponse();
    return (version) => {
      // A commit that settles after the answer went (a handler that did not await it, an app
      // transaction committing later) has no header left to set.
      if (adapter.isHeadersSent(response) !== true) {
        adapter.setHeader(response, 'ETag', etagFor(version) as string);
      }
    };
  }

  private committer(): TransitionService {
    if (!this.transitions) throw new Error(messages.guardWithoutService(this.constructor.name));
    return this.transitions;
  }

  /**
   * The call: the HTTP request itself, or a GraphQL field or a message read as one (see
   * `TransportCall`). Override for other contexts (WebSockets).
   */
  protected getRequest(context: ExecutionContext, meta: TransitionMetadata): GuardRequest {
    return callOf(context, typeof meta.id === 'string' ? meta.id : 'id');
  }

  /** The raw resource id, from where the decorator says (a route param `id` by default). */
  protected getId(request: GuardRequest, meta: TransitionMetadata): unknown {
    return readIdFrom(request, meta.id);
  }

  /** The event: fixed by the decorator (the body is the payload), or the body's own `type`. */
  protected getEvent(
    request: GuardRequest,
    meta: TransitionMetadata,
    entry: { readonly resource: string; readonly validator: TransitionValidator },
  ): RequestedEvent {
    return readEvent(request.body, meta.event, entry);
  }

  /** The caller's roles, by the module option `getRoles` (default: `request.user.roles`). */
  protected getRoles(request: GuardRequest): readonly string[] {
    return asRoles(this.options.getRoles(request));
  }

  /** Who is acting, by the module option `getActor` (default: `request.user.id`). */
  protected getActor(request: GuardRequest, resource = 'request'): string | null {
    return asActor(this.options.getActor(request), resource);
  }

  /** Throws what the guard decided: every refusal and failure passes here. Override to map them. */
  protected throwException(exception: Error): never {
    throw exception;
  }
}
