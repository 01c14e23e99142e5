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
import { CURRENT_TRANSITION, TRANSITION_METADATA } from './constants.js';
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
 * 400 malformed id or event, 400 unknown event, 403 missing role, 404 no such resource,
 * 409 final state or no transition, 400 invalid payload, 409 refused by guards or forbidden.
 * On success the handler gets `@CurrentTransition()`.
 *
 * Subclass it to support other transports or request shapes: override `getRequest`, `getId`,
 * `getEvent`, `getRoles` or `throwException`.
 */
@Injectable()
export class TransitionGuard implements CanActivate {
  protected readonly logger = new Logger('TransitionGuard');
  protected readonly options: ResolvedTransitionGuardOptions;

  constructor(
    protected readonly reflector: Reflector,
    protected readonly registry: TransitionRegistry,
    @Optional() @Inject(TRANSITION_GUARD_OPTIONS) options?: ResolvedTransitionGuardOptions,
  ) {
    this.options = options ?? resolveOptions({});
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
    const loaded = await this.load(entry, id, event, request);
    if (!loaded) this.throwException(new ResourceNotFoundException(entry.resource, id));
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
    request[CURRENT_TRANSITION] = current;
    return true;
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
