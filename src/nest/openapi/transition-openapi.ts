import type { INestApplication } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { TransitionMetadata } from '../definition/transition-metadata.js';
import { guardedHttpRoutes } from '../module/guarded-routes.js';
import { TRANSITION_GUARD_OPTIONS } from '../definition/module-definition.js';
import type { ResolvedTransitionGuardOptions } from '../definition/options.js';
import { TransitionRegistry, type RegisteredResource } from '../definition/transition-registry.js';
import { callerEventsSchema } from './caller-events-schema.js';
import { errorSchemas, type JsonSchema } from './error-schemas.js';

/** An OpenAPI document, as `@nestjs/swagger` (or anything else) makes it. */
export interface OpenApiDocument {
  openapi: string;
  paths: object;
  components?: object;
}

/** The parts of the document this function reads and writes. */
interface Writable {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation | undefined> | undefined>;
  components?: { schemas?: Record<string, unknown> };
}
interface OpenApiOperation {
  requestBody?: unknown;
  responses?: Record<string, unknown>;
  parameters?: unknown[];
  [key: string]: unknown;
}

/** A guarded route found in the application: where, which resource and event, which options. */
interface GuardedRoute {
  readonly path: string;
  readonly method: string;
  readonly meta: TransitionMetadata;
  readonly entry: RegisteredResource;
}

/**
 * Describes every route guarded by `@Transition()` in an OpenAPI 3.1 document (as
 * `@nestjs/swagger` makes it, or any other), without extra decorators: the request body from the
 * event's zod schema (a `oneOf` discriminated by `type` on an events route), every answer the
 * guard can give with its body schema and an example (400 by code, 403, 404, 409 with `reason`
 * as an enum, 412, 415, 422, 428, 503; RFC 9457 `application/problem+json` when the
 * `problemDetails` option is on), and the `If-Match` and `Idempotency-Key` headers where the
 * route honours them. Returns the document, changed in place.
 *
 * It describes the guarded operations the document has: a route left out with
 * `@ApiExcludeEndpoint()` stays out. What the app declares itself stays too: `@ApiOperation()`,
 * tags, a success response's type, and any status declared with a body type
 * (`@ApiResponse({ status: 409, type: MyConflict })`), which wins over the generated one.
 *
 * @example
 * const document = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('Orders').build());
 * SwaggerModule.setup('docs', app, describeTransitions(app, document));
 */
export function describeTransitions<D extends OpenApiDocument>(app: INestApplication, given: D): D {
  const document = given as unknown as Writable;
  const options = app.get<ResolvedTransitionGuardOptions>(TRANSITION_GUARD_OPTIONS, {
    strict: false,
  });
  const registry = app.get(TransitionRegistry, { strict: false });
  document.openapi = '3.1.0';
  const schemas = (document.components ??= {}).schemas ?? {};
  document.components.schemas = schemas;
  Object.assign(schemas, errorSchemas([]));
  for (const name of registry.resources()) {
    const entry = registry.resource(name);
    Object.assign(schemas, {
      [`TransitionIllegal.${name}`]: illegalFor(entry),
      [`TransitionAllowedEvents.${name}`]: callerEventsSchema(entry),
    });
  }
  for (const route of guardedRoutes(app, registry)) {
    // Only operations the document has: a route left out (`@ApiExcludeEndpoint()`) stays out.
    const operation = document.paths[route.path]?.[route.method];
    if (operation) describeRoute(operation, route, options);
  }
  return given;
}

function describeRoute(
  op: OpenApiOperation,
  route: GuardedRoute,
  options: ResolvedTransitionGuardOptions,
): void {
  const { meta, entry } = route;
  const payloads = entry.validator.describe().payloads as Record<string, JsonSchema>;
  const events = meta.event === undefined ? entry.validator.events : [meta.event];
  const body =
    meta.event === undefined
      ? {
          oneOf: events.map((e) => eventSchema(e, payloads[e])),
          discriminator: { propertyName: 'type' },
        }
      : payloadSchema(payloads[meta.event]);
  op.requestBody = { required: false, content: { 'application/json': { schema: body } } };
  // What the app declared itself (`@ApiResponse({ status: 409, type: ... })`) wins over ours.
  const declared = { ...(op.responses ?? {}) } as Record<string, { content?: unknown } | undefined>;
  const responses = (op.responses ??= {});
  for (const [status, response] of Object.entries(declared)) {
    const success = status.startsWith('2');
    if (success && response && !(response as { description?: string }).description) {
      (response as { description?: string }).description =
        `The ${meta.event ?? 'event'} transition is committed`;
    }
  }
  const set = (status: string, response: unknown) => {
    if (declared[status]?.content === undefined) responses[status] = response;
  };
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const type = options.problemDetails ? 'application/problem+json' : 'application/json';
  const answer = (description: string, schema: JsonSchema, example: Record<string, unknown>) => ({
    description,
    content: {
      [type]: {
        schema: options.problemDetails ? { allOf: [ref('ProblemDetails'), schema] } : schema,
        example,
      },
    },
  });
  const resource = entry.resource;
  const first = events[0] ?? 'EVENT';
  set(
    '400',
    answer(
      'The id, the event, the payload or a header is malformed (by `code`)',
      ref('TransitionBadRequest'),
      {
        statusCode: 400,
        error: 'Bad Request',
        code: 'INVALID_PAYLOAD',
        message: `Invalid payload for ${first}: ...`,
        resource,
        id: '7',
        event: first,
        issues: [],
      },
    ),
  );
  set(
    '403',
    answer('The event needs a role the caller does not have', ref('TransitionRoleRequired'), {
      statusCode: 403,
      error: 'Forbidden',
      code: 'ROLE_REQUIRED',
      message: `${first} on ${resource} needs one of the roles: editor`,
      resource,
      id: '7',
      event: first,
      requiredRoles: ['editor'],
    }),
  );
  set(
    '404',
    answer(`No ${resource} has this id`, ref('TransitionNotFound'), {
      statusCode: 404,
      error: 'Not Found',
      code: 'RESOURCE_NOT_FOUND',
      message: `${resource} 7 does not exist`,
      resource,
      id: '7',
    }),
  );
  const conflicts: JsonSchema[] = [ref(`TransitionIllegal.${resource}`)];
  if (meta.idempotency) conflicts.push(ref('TransitionInProgress'));
  set(
    '409',
    answer(
      'The event is not legal from the current state (`reason`), or the resource moved meanwhile' +
        (meta.idempotency ? ', or another request with this Idempotency-Key still runs' : ''),
      conflicts.length === 1 ? conflicts[0] : { oneOf: conflicts },
      {
        statusCode: 409,
        error: 'Conflict',
        code: 'ILLEGAL_TRANSITION',
        message: `Cannot ${first} ${resource} 7: it is cancelled`,
        resource,
        id: '7',
        currentState: 'cancelled',
        event: first,
        reason: 'final-state',
        allowedEvents: [],
      },
    ),
  );
  set(
    '412',
    answer(
      'If-Match names a version the resource is no longer at',
      ref('TransitionPreconditionFailed'),
      {
        statusCode: 412,
        error: 'Precondition Failed',
        code: 'PRECONDITION_FAILED',
        message: `${resource} 7 is no longer at the version If-Match names (now "v2"); refetch and retry`,
        resource,
        id: '7',
        currentState: 'shipped',
        etag: '"v2"',
      },
    ),
  );
  set(
    '415',
    answer(
      'The body is not JSON (application/json, UTF-8, uncompressed)',
      ref('TransitionUnsupportedMediaType'),
      {
        statusCode: 415,
        error: 'Unsupported Media Type',
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Transition requests take a JSON body',
        resource,
      },
    ),
  );
  const required = meta.ifMatch ? meta.ifMatch === 'required' : options.requireIfMatch;
  if (required) {
    set(
      '428',
      answer('This route requires If-Match', ref('TransitionPreconditionRequired'), {
        statusCode: 428,
        error: 'Precondition Required',
        code: 'PRECONDITION_REQUIRED',
        message: `Send If-Match with the ETag of ${resource} 7`,
        resource,
        id: '7',
      }),
    );
  }
  if (meta.idempotency) {
    set(
      '422',
      answer('The Idempotency-Key was used for a different request', ref('TransitionKeyReused'), {
        statusCode: 422,
        error: 'Unprocessable Entity',
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: "Idempotency-Key 'k' was already used for a different request",
        resource,
      }),
    );
  }
  set(
    '503',
    answer(
      'The store is unavailable (Retry-After); outcome not-applied: nothing was changed, ' +
        'unknown: the commit was sent and its answer lost (retry with an Idempotency-Key, or read first)',
      ref('TransitionStoreUnavailable'),
      {
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'STORE_UNAVAILABLE',
        message: `The ${resource} store is unavailable; nothing was changed. Retry later.`,
        resource,
        outcome: 'not-applied',
      },
    ),
  );
  const parameters = (op.parameters ??= []);
  const header = (name: string, description: string, isRequired: boolean) => {
    if (!parameters.some((p) => (p as { name?: string }).name === name)) {
      parameters.push({
        name,
        in: 'header',
        required: isRequired,
        description,
        schema: { type: 'string' },
      });
    }
  };
  header(
    'If-Match',
    'The ETag ("v<version>") the client saw: 412 if the resource moved since',
    required,
  );
  if (meta.idempotency)
    header(
      'Idempotency-Key',
      'Makes a retry safe: the first response is replayed (Idempotent-Replayed: true)',
      false,
    );
}

function payloadSchema(schema: JsonSchema | undefined): JsonSchema {
  if (!schema) return { type: 'object' };
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

function eventSchema(type: string, schema: JsonSchema | undefined): JsonSchema {
  const payload = payloadSchema(schema);
  const properties = {
    ...((payload.properties as Record<string, unknown> | undefined) ?? {}),
    type: { const: type },
  };
  const required = [...((payload.required as string[] | undefined) ?? []), 'type'];
  return { ...payload, type: 'object', title: type, properties, required };
}

function illegalFor(entry: RegisteredResource): JsonSchema {
  const base = errorSchemas(entry.validator.events).TransitionIllegal;
  return {
    ...base,
    description: `409 for ${entry.resource}: reason and the ${entry.resource} events allowed now`,
  };
}

/** Every guarded HTTP route, with its OpenAPI path (`/orders/{id}/ship`) and method. */
function guardedRoutes(app: INestApplication, registry: TransitionRegistry): GuardedRoute[] {
  const tools = {
    discovery: app.get(DiscoveryService, { strict: false }),
    scanner: app.get(MetadataScanner, { strict: false }),
    reflector: app.get(Reflector, { strict: false }),
  };
  const prefix =
    (
      app as unknown as { config?: { getGlobalPrefix?: () => string } }
    ).config?.getGlobalPrefix?.() ?? '';
  return guardedHttpRoutes(tools, prefix).flatMap(({ method, path, meta }) => {
    const entry = registry.get(meta.resource);
    if (!entry) return [];
    const openApiPath = path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    return [{ path: openApiPath, method: method.toLowerCase(), meta, entry }];
  });
}
