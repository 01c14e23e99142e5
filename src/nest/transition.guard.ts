import {
  Inject,
  Injectable,
  InternalServerErrorException,
  Logger,
  Optional,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  formatState,
  GuardEvaluationError,
  UnknownStateError,
  type TransitionResult,
} from '../core/index.js';
import {
  CURRENT_TRANSITION,
  IDEMPOTENCY_PENDING,
  IDEMPOTENCY_REPLAY,
  TRANSITION_METADATA,
} from './constants.js';
import {
  etagFor,
  ifMatchHolds,
  IDEMPOTENCY_STORE,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MemoryIdempotencyStore,
  parseIdempotencyKey,
  parseIfMatch,
  requestFingerprint,
  type IdempotencyStore,
  type IfMatch,
} from '../http/index.js';
import { attachCommitContext } from './commit-context.js';
import {
  PreconditionFailedException,
  PreconditionRequiredException,
} from './exceptions/precondition.exceptions.js';
import {
  IdempotencyKeyReusedException,
  RequestInProgressException,
} from './exceptions/idempotency.exceptions.js';

/** Used when no module provides IDEMPOTENCY_STORE (forRoot not imported): one per process. */
const fallbackIdempotencyStore = new MemoryIdempotencyStore();

function setHeader(response: any, name: string, value: string): void {
  if (typeof response?.header === 'function') response.header(name, value);
  else response?.setHeader?.(name, value);
}
import type { CurrentTransition } from './current-transition.decorator.js';
import { IllegalTransitionException } from './exceptions/illegal-transition.exception.js';
import { InvalidTransitionRequestException } from './exceptions/invalid-transition-request.exception.js';
import { ResourceNotFoundException } from './exceptions/resource-not-found.exception.js';
import { TransitionForbiddenException } from './exceptions/transition-forbidden.exception.js';
import { StoreUnavailableException } from './exceptions/store-unavailable.exception.js';
import { StoreUnavailableError } from '../store/index.js';
import type { LoadedState } from './state-loader.interface.js';
import type { TransitionMetadata } from './transition-metadata.js';
import { TRANSITION_GUARD_OPTIONS } from './transition-guard.module-definition.js';
import { resolveOptions, type ResolvedTransitionGuardOptions } from './transition-guard.options.js';
import { TransitionRegistry, type RegisteredResource } from './transition-registry.js';

/** The event a request asks for: its type and its payload (the body without `type`). */
export interface RequestedEvent {
  readonly type: string;
  readonly payload: Record<string, unknown>;
}

/**
 * Checks the transition a request asks for, in this order (each step answers before the next runs):
 * 400 malformed id or event, 400 unknown event, 403 missing role, 400/428 If-Match, the
 * Idempotency-Key (400, 422, 409 in progress, or a replay), 404 no such resource, 412 If-Match,
 * 409 version-mismatch, 409 final state or no transition, 400 invalid payload, 409 refused by
 * guards or forbidden, 403 role of the transition taken. On success the handler gets
 * `@CurrentTransition()`.
 *
 * Subclass it to support other transports or request shapes: override `getRequest`, `getId`,
 * `getEvent`, `getRoles` or `throwException`.
 */
@Injectable()
export class TransitionGuard implements CanActivate {
  protected readonly logger = new Logger('TransitionGuard');
  protected readonly options: ResolvedTransitionGuardOptions;

  protected readonly idempotencyStore: IdempotencyStore;

  constructor(
    @Inject(Reflector) protected readonly reflector: Reflector,
    @Inject(TransitionRegistry) protected readonly registry: TransitionRegistry,
    @Optional() @Inject(TRANSITION_GUARD_OPTIONS) options?: ResolvedTransitionGuardOptions,
    @Optional() @Inject(IDEMPOTENCY_STORE) idempotencyStore?: IdempotencyStore,
  ) {
    this.options = options ?? resolveOptions({});
    this.idempotencyStore = idempotencyStore ?? fallbackIdempotencyStore;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const meta = this.reflector.getAllAndOverride<TransitionMetadata | undefined>(
      TRANSITION_METADATA,
      [context.getHandler(), context.getClass()],
    );
    if (!meta) return true;
    const request = this.getRequest(context);
    // Registered both globally (APP_GUARD) and by @Transition(): check once.
    if (request[CURRENT_TRANSITION]) return true;
    const entry = this.registry.get(meta.resource);
    if (!entry) {
      throw new Error(
        `@Transition('${meta.resource}'): no such resource is registered (checked at bootstrap; was the registry replaced?)`,
      );
    }
    const id = this.validId(entry, this.getId(request, meta));
    const event = this.getEvent(request, meta, entry);
    // Roles every transition of the event needs: checked before loading, so a 403 reveals nothing.
    const required = entry.validator.rolesFor(event.type);
    if (required.length && !this.hasRole(request, required)) {
      this.throwException(
        new TransitionForbiddenException(entry.resource, id, event.type, required),
      );
    }
    const ifMatch = this.ifMatchOf(request, meta, entry, id);
    const idempotency = meta.idempotency ? await this.idempotencyOf(request, entry) : undefined;
    if (idempotency?.replay) {
      request[IDEMPOTENCY_REPLAY] = idempotency.replay;
      return true;
    }
    if (idempotency) {
      // Take the key before the checks: a concurrent copy sees it in progress (or replays it),
      // never runs the checks against a state the first request is changing.
      await this.beginIdempotency(request, entry, idempotency);
      if (request[IDEMPOTENCY_REPLAY]) return true;
    }
    try {
      return await this.checkLoaded(context, request, entry, id, event, ifMatch);
    } catch (err) {
      // Refused or failed before the handler: nothing changed, so the key is free again.
      const pending = request[IDEMPOTENCY_PENDING];
      if (pending) {
        delete request[IDEMPOTENCY_PENDING];
        await pending.store.release(pending.caller, pending.key).catch(() => undefined);
      }
      throw err;
    }
  }

  /** Loads the resource and runs the checks that need it (404, 412, 409, 400 payload). */
  private async checkLoaded(
    context: ExecutionContext,
    request: Record<string | symbol, any>,
    entry: RegisteredResource,
    id: string,
    requested: RequestedEvent,
    ifMatch: IfMatch | undefined,
  ): Promise<boolean> {
    let event = requested;
    const loaded = await this.load(entry, id, event, request);
    if (!loaded) this.throwException(new ResourceNotFoundException(entry.resource, id));
    // Preconditions: If-Match (412), or a version carried in the body (409 version-mismatch).
    const etag = etagFor(loaded.version);
    const response = this.getResponse(context);
    if (ifMatch && !ifMatchHolds(ifMatch, etag)) {
      if (etag) setHeader(response, 'ETag', etag);
      this.throwException(new PreconditionFailedException(entry.resource, id, loaded.state, etag));
    }
    const { expectedVersion, ...payload } = event.payload;
    if (expectedVersion !== undefined && String(expectedVersion) !== String(loaded.version)) {
      let current = loaded.state;
      let allowed: readonly string[] = [];
      try {
        current = entry.validator.normalizeState(loaded.state);
        allowed = entry.validator.allowedEvents({ state: loaded.state, context: loaded.context });
      } catch {
        // A stored state the machine does not have: reported (and logged) by the check below
        // when the version matches; here the version mismatch is the answer.
      }
      this.throwException(
        IllegalTransitionException.stale(
          entry.resource,
          id,
          event.type,
          current,
          allowed,
          `Cannot ${event.type} ${entry.resource} ${id}: expected version ${String(expectedVersion)}, it is at version ${String(loaded.version)}; refetch and retry`,
          'version-mismatch',
        ),
      );
    }
    if (expectedVersion !== undefined) event = { type: event.type, payload };
    const result = this.check(entry, id, loaded, event);
    if (!result.allowed) {
      this.throwException(
        result.reason === 'invalid-payload'
          ? InvalidTransitionRequestException.of(
              'INVALID_PAYLOAD',
              entry.resource,
              `Invalid payload for ${event.type}: ${(result.issues ?? []).map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ')}`,
              { id, event: event.type, issues: result.issues },
            )
          : IllegalTransitionException.fromRefusal(entry.resource, id, result),
      );
    }
    // Roles of the transition actually taken (an event may need a role from one state only).
    if (result.roles && !this.hasRole(request, result.roles)) {
      this.throwException(
        new TransitionForbiddenException(entry.resource, id, event.type, result.roles),
      );
    }
    const current: CurrentTransition = {
      resource: entry.resource,
      id,
      event: event.type,
      from: result.from,
      to: result.to,
      payload: event.payload,
      context: loaded.context,
      version: loaded.version,
      actor: this.getActor(request),
    };
    attachCommitContext(current, {
      pinned:
        ifMatch && !ifMatch.any
          ? 'if-match'
          : expectedVersion !== undefined
            ? 'expected-version'
            : undefined,
      idempotency: request[IDEMPOTENCY_PENDING],
      setEtag: (tag) => setHeader(response, 'ETag', tag),
    });
    request[CURRENT_TRANSITION] = current;
    return true;
  }

  /** The platform response (for ETag headers). */
  protected getResponse(context: ExecutionContext): any {
    return context.switchToHttp().getResponse();
  }

  /** `If-Match`, parsed; 400 when malformed, 428 when required and missing. */
  private ifMatchOf(
    request: Record<string, any>,
    meta: TransitionMetadata,
    entry: RegisteredResource,
    id: string,
  ): IfMatch | undefined {
    const header = request.headers?.['if-match'];
    if (header === undefined) {
      const required = meta.ifMatch ? meta.ifMatch === 'required' : this.options.requireIfMatch;
      if (required) this.throwException(new PreconditionRequiredException(entry.resource, id));
      return undefined;
    }
    const parsed = parseIfMatch(header);
    if (!parsed) {
      this.throwException(
        InvalidTransitionRequestException.of(
          'INVALID_PRECONDITION',
          entry.resource,
          'If-Match must be * or a list of quoted entity tags ("v3")',
        ),
      );
    }
    return parsed;
  }

  /** The Idempotency-Key lookup: a replay, a 409/422, or what to begin once the checks pass. */
  private async idempotencyOf(request: Record<string, any>, entry: RegisteredResource) {
    const key = parseIdempotencyKey(request.headers?.['idempotency-key']);
    if (key === undefined) return undefined;
    if (key === null) {
      this.throwException(
        InvalidTransitionRequestException.of(
          'INVALID_IDEMPOTENCY_KEY',
          entry.resource,
          `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} letters, digits or -_.: characters`,
        ),
      );
    }
    const store = this.idempotencyStore;
    const caller = this.getActor(request) ?? 'anonymous';
    const path = String(request.originalUrl ?? request.url ?? '').split('?')[0];
    const fingerprint = requestFingerprint(String(request.method), path, request.body);
    const replay = await this.idempotencyRecord(entry, store, caller, key, fingerprint);
    return { store, caller, key, fingerprint, replay };
  }

  private async idempotencyRecord(
    entry: RegisteredResource,
    store: IdempotencyStore,
    caller: string,
    key: string,
    fingerprint: string,
  ) {
    const record = await this.storeCall(entry, () => store.get(caller, key));
    if (!record) return undefined;
    if (record.fingerprint !== fingerprint)
      this.throwException(new IdempotencyKeyReusedException(entry.resource, key));
    if (record.status === 'in-progress')
      this.throwException(new RequestInProgressException(entry.resource, key));
    return record;
  }

  private async beginIdempotency(
    request: Record<string | symbol, any>,
    entry: RegisteredResource,
    i: { store: IdempotencyStore; caller: string; key: string; fingerprint: string },
  ): Promise<void> {
    const expires = new Date(Date.now() + this.options.idempotency.ttlSeconds * 1000);
    if (await this.storeCall(entry, () => i.store.begin(i.caller, i.key, i.fingerprint, expires))) {
      request[IDEMPOTENCY_PENDING] = { store: i.store, caller: i.caller, key: i.key };
      return;
    }
    // A concurrent request with the same key began first: replay it, or say it is running.
    const replay = await this.idempotencyRecord(entry, i.store, i.caller, i.key, i.fingerprint);
    if (replay) request[IDEMPOTENCY_REPLAY] = replay;
    else this.throwException(new RequestInProgressException(entry.resource, i.key));
  }

  private async storeCall<T>(entry: RegisteredResource, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      this.logger.error(
        `Idempotency store failed: ${(err as Error)?.message}`,
        (err as Error)?.stack,
      );
      if (err instanceof StoreUnavailableError) throw new StoreUnavailableException(entry.resource);
      throw new InternalServerErrorException();
    }
  }

  /** The platform request. HTTP only: override for RPC, WebSocket or GraphQL contexts. */
  protected getRequest(context: ExecutionContext): Record<string | symbol, any> {
    const type = context.getType<string>();
    if (type !== 'http') {
      throw new Error(
        `@Transition() on ${context.getClass().name}.${context.getHandler().name} was reached from a '${type}' ` +
          `context; TransitionGuard reads HTTP requests. Subclass TransitionGuard and override getRequest() ` +
          `(and getId()/getEvent() if needed) for '${type}', then use your guard.`,
      );
    }
    return context.switchToHttp().getRequest();
  }

  /** The raw resource id, from where the decorator says (a route param `id` by default). */
  protected getId(request: Record<string, any>, meta: TransitionMetadata): unknown {
    const source = meta.id;
    if (typeof source === 'function') return source(request);
    if (typeof source === 'string') return request.params?.[source];
    if ('param' in source) return request.params?.[source.param];
    if ('header' in source) return request.headers?.[source.header.toLowerCase()];
    return request.query?.[source.query];
  }

  /**
   * The event: fixed by the decorator (the body is the payload), or the body's own `type`. A body
   * that is not a JSON object is refused with 400.
   */
  protected getEvent(
    request: Record<string, any>,
    meta: TransitionMetadata,
    entry: RegisteredResource,
  ): RequestedEvent {
    const body: unknown = request.body;
    const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
    if (body !== undefined && body !== null && !isObject && body !== '') {
      throw InvalidTransitionRequestException.of(
        'INVALID_EVENT',
        entry.resource,
        'The request body must be a JSON object',
      );
    }
    const { type, ...payload } = (isObject ? body : {}) as Record<string, unknown>;
    const hasType = isObject && Object.hasOwn(body as object, 'type');
    if (meta.event !== undefined) {
      if (hasType && type !== meta.event) {
        throw InvalidTransitionRequestException.of(
          'INVALID_EVENT',
          entry.resource,
          `This route sends ${meta.event}; the body's type ${JSON.stringify(type)} contradicts it. Remove it or use the events route.`,
        );
      }
      return { type: meta.event, payload };
    }
    if (!hasType || typeof type !== 'string' || type === '') {
      throw InvalidTransitionRequestException.of(
        'INVALID_EVENT',
        entry.resource,
        `The body needs a string "type", one of: ${entry.validator.events.join(', ')}`,
        { events: entry.validator.events },
      );
    }
    if (!entry.validator.hasEvent(type)) {
      throw InvalidTransitionRequestException.of(
        'UNKNOWN_EVENT',
        entry.resource,
        `'${type.slice(0, 100)}' is not an event of ${entry.resource} (events: ${entry.validator.events.join(', ')})`,
        { event: type.slice(0, 256), events: entry.validator.events },
      );
    }
    return { type, payload };
  }

  /** The caller's roles, by the module option `getRoles` (default: `request.user.roles`). */
  protected getRoles(request: Record<string, any>): readonly string[] {
    const roles = this.options.getRoles(request);
    return typeof roles === 'string' ? [roles] : (roles ?? []);
  }

  private hasRole(request: Record<string, any>, required: readonly string[]): boolean {
    const roles = this.getRoles(request);
    return required.some((r) => roles.includes(r));
  }

  /** Who is acting, by the module option `getActor` (default: `request.user.id`). */
  protected getActor(request: Record<string, any>): string | null {
    const actor = this.options.getActor(request);
    return actor === null || actor === undefined ? null : String(actor).slice(0, 256);
  }

  /** Throws what the guard decided. Override to map to another transport's errors. */
  protected throwException(exception: Error): never {
    throw exception;
  }

  private validId(entry: RegisteredResource, raw: unknown): string {
    const id = typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : raw;
    if (typeof id !== 'string' || !this.options.idPattern.test(id)) {
      const shown = typeof id === 'string' ? JSON.stringify(id.slice(0, 40)) : typeof id;
      this.throwException(
        InvalidTransitionRequestException.of(
          'INVALID_RESOURCE_ID',
          entry.resource,
          `Invalid ${entry.resource} id ${shown}: expected ${this.options.idPattern}`,
        ),
      );
    }
    return id;
  }

  private async load(
    entry: RegisteredResource,
    id: string,
    event: RequestedEvent,
    request: unknown,
  ): Promise<LoadedState | null> {
    try {
      return await entry.loader.load(id, { resource: entry.resource, event: event.type, request });
    } catch (err) {
      this.logger.error(
        `Loading ${entry.resource} ${id} failed: ${(err as Error)?.message ?? err}`,
        (err as Error)?.stack,
      );
      if (err instanceof StoreUnavailableError) throw new StoreUnavailableException(entry.resource);
      throw new InternalServerErrorException();
    }
  }

  private check(
    entry: RegisteredResource,
    id: string,
    loaded: LoadedState,
    event: RequestedEvent,
  ): TransitionResult {
    try {
      return entry.validator.check(
        { state: loaded.state, context: loaded.context },
        { ...event.payload, type: event.type },
      );
    } catch (err) {
      if (err instanceof UnknownStateError) {
        this.logger.error(
          `${entry.resource} ${id} has stored state ${formatState(loaded.state)} which machine '${err.machineId}' ` +
            `does not have (valid: ${err.validStates.join(', ')}). Migrate the row or add the state.`,
        );
      } else if (err instanceof GuardEvaluationError) {
        this.logger.error(`${entry.resource} ${id}: ${err.message}`, (err.cause as Error)?.stack);
      } else {
        this.logger.error(
          `Checking ${event.type} on ${entry.resource} ${id} failed: ${(err as Error)?.message}`,
          (err as Error)?.stack,
        );
      }
      throw new InternalServerErrorException();
    }
  }
}
