import type { IdSource } from '../definition/transition-metadata.js';
import {
  InvalidTransitionRequestException,
  UnsupportedContentTypeException,
} from '../errors/request.exceptions.js';
import { messages } from '../errors/messages.js';
import type { RegisteredResource } from '../definition/transition-registry.js';
import type { TransitionValidator } from '../../core/index.js';
import { DEFAULT_ID_PATTERN } from '../definition/options.js';
import type { GuardRequest, RequestedEvent } from '../definition/guard-request.js';

export type { RequestedEvent } from '../definition/guard-request.js';

const JSON_TYPE = /^application\/json\s*(;\s*charset\s*=\s*("?)utf-8\2\s*)?$/i;

/**
 * A request that carries a body must send JSON: `Content-Type: application/json` (charset UTF-8
 * or none), no `Content-Encoding`; 415 otherwise. A request without a body passes (a fixed-event
 * route needs no payload).
 */
export function requireJsonBody(request: GuardRequest, resource: string): void {
  const { headers } = request;
  const length = headers['content-length'];
  const hasBody =
    headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody) return;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && String(encoding).toLowerCase() !== 'identity') {
    throw new UnsupportedContentTypeException(resource, `Content-Encoding: ${String(encoding)}`);
  }
  const type = headers['content-type'];
  if (typeof type !== 'string' || !JSON_TYPE.test(type.trim())) {
    throw new UnsupportedContentTypeException(resource, String(type ?? '(none)'));
  }
}

/** The raw resource id, from where the decorator says (a route param `id` by default). */
export function readIdFrom(request: GuardRequest, source: IdSource): unknown {
  if (typeof source === 'function') return source(request);
  if (typeof source === 'string') return request.params?.[source];
  if ('param' in source) return request.params?.[source.param];
  if ('header' in source) return request.headers[source.header.toLowerCase()];
  return request.query?.[source.query];
}

/**
 * The id, checked before anything is loaded: against `pattern` when the module sets one, else as
 * the store's key column can hold it (its canonical form), else against the default pattern.
 * 400 `INVALID_RESOURCE_ID` otherwise.
 */
export function validId(
  entry: RegisteredResource,
  raw: unknown,
  pattern: RegExp | undefined,
): string {
  const id = typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : raw;
  if (typeof id === 'string') {
    if (pattern) {
      if (pattern.test(id)) return id;
    } else if (entry.store?.canonicalId) {
      const canonical = entry.store.canonicalId(id);
      if (canonical !== undefined) return canonical;
    } else if (DEFAULT_ID_PATTERN.test(id)) {
      return id;
    }
  }
  const expected = pattern
    ? String(pattern)
    : entry.store?.canonicalId
      ? `an id the ${entry.resource} store's key can hold`
      : String(DEFAULT_ID_PATTERN);
  throw InvalidTransitionRequestException.of(
    'INVALID_RESOURCE_ID',
    entry.resource,
    messages.invalidId(entry.resource, id, expected),
  );
}

/**
 * The event: fixed by the decorator (the body is the payload), or the body's own `type`. A body
 * that is not a JSON object, a `type` contradicting the route, or an unknown event is a 400.
 */
export function readEvent(
  body: unknown,
  fixed: string | undefined,
  entry: { readonly resource: string; readonly validator: TransitionValidator },
): RequestedEvent {
  const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
  // A JSON `null` is a body, and not an object (Fastify hands it over as null).
  if (body !== undefined && !isObject && body !== '') {
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

/** The longest caller identity kept (the log's `actor` and the Idempotency-Key's `caller`). */
export const MAX_ACTOR_LENGTH = 256;

/**
 * An actor as the `getActor` option returned it, as a string or null. An identity longer than
 * `MAX_ACTOR_LENGTH` is a 400, never cut: two identities sharing their first characters would
 * share Idempotency-Keys and log lines.
 */
export function asActor(
  actor: string | number | null | undefined,
  resource: string,
): string | null {
  if (actor === null || actor === undefined) return null;
  const text = String(actor);
  if (text.length > MAX_ACTOR_LENGTH) {
    throw InvalidTransitionRequestException.of(
      'INVALID_CALLER',
      resource,
      messages.callerTooLong(text.length, MAX_ACTOR_LENGTH),
    );
  }
  return text;
}

/** A correlation id as the `getCorrelationId` option returned it, as a bounded string or null. */
export function asCorrelationId(id: string | null | undefined): string | null {
  return typeof id === 'string' && id !== '' ? id.slice(0, 128) : null;
}
