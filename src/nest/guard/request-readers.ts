import type { IdSource } from '../decorators/transition-metadata.js';
import { InvalidTransitionRequestException } from '../errors/request.exceptions.js';
import { messages } from '../errors/messages.js';
import type { RegisteredResource } from '../module/transition-registry.js';
import type { GuardRequest } from './guard-request.js';

/** The event a request asks for: its type and its payload (the body without `type`). */
export interface RequestedEvent {
  readonly type: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** The raw resource id, from where the decorator says (a route param `id` by default). */
export function readIdFrom(request: GuardRequest, source: IdSource): unknown {
  if (typeof source === 'function') return source(request);
  if (typeof source === 'string') return request.params?.[source];
  if ('param' in source) return request.params?.[source.param];
  if ('header' in source) return request.headers[source.header.toLowerCase()];
  return request.query?.[source.query];
}

/** The id as a string matching `pattern`; 400 `INVALID_RESOURCE_ID` otherwise. */
export function validId(entry: RegisteredResource, raw: unknown, pattern: RegExp): string {
  const id = typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : raw;
  if (typeof id !== 'string' || !pattern.test(id)) {
    throw InvalidTransitionRequestException.of(
      'INVALID_RESOURCE_ID',
      entry.resource,
      messages.invalidId(entry.resource, id, String(pattern)),
    );
  }
  return id;
}

/**
 * The event: fixed by the decorator (the body is the payload), or the body's own `type`. A body
 * that is not a JSON object, a `type` contradicting the route, or an unknown event is a 400.
 */
export function readEvent(
  body: unknown,
  fixed: string | undefined,
  entry: RegisteredResource,
): RequestedEvent {
  const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
  if (body !== undefined && body !== null && !isObject && body !== '') {
    throw InvalidTransitionRequestException.of(
      'INVALID_EVENT',
      entry.resource,
      messages.bodyNotObject(),
    );
  }
  const { type, ...payload } = (isObject ? body : {}) as Record<string, unknown>;
  const hasType = isObject && Object.hasOwn(body, 'type');
  if (fixed !== undefined) {
    if (hasType && type !== fixed) {
      throw InvalidTransitionRequestException.of(
        'INVALID_EVENT',
        entry.resource,
        messages.typeContradictsRoute(fixed, type),
      );
    }
    return { type: fixed, payload };
  }
  const events = entry.validator.events;
  if (!hasType || typeof type !== 'string' || type === '') {
    throw InvalidTransitionRequestException.of(
      'INVALID_EVENT',
      entry.resource,
      messages.typeMissing(events),
      { events },
    );
  }
  if (!entry.validator.hasEvent(type)) {
    throw InvalidTransitionRequestException.of(
      'UNKNOWN_EVENT',
      entry.resource,
      messages.unknownEvent(entry.resource, type, events),
      { event: type.slice(0, 256), events },
    );
  }
  return { type, payload };
}

/** Roles as the `getRoles` option returned them, as a list. */
export function asRoles(roles: readonly string[] | string | undefined | null): readonly string[] {
  return typeof roles === 'string' ? [roles] : (roles ?? []);
}

/** An actor as the `getActor` option returned it, as a bounded string or null. */
export function asActor(actor: string | number | null | undefined): string | null {
  return actor === null || actor === undefined ? null : String(actor).slice(0, 256);
}
