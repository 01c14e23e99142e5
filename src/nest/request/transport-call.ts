import type { ArgumentsHost, ExecutionContext } from '@nestjs/common';
import type { GuardRequest } from '../definition/guard-request.js';

/**
 * The transports a guarded handler can serve: an HTTP route (Express or Fastify), a GraphQL
 * resolver (Apollo or Mercurius), a microservice handler (`@MessagePattern`, or `@EventPattern`
 * where nobody waits for an answer).
 */
export type TransitionTransport = 'http' | 'graphql' | 'rpc-message' | 'rpc-event';

/** Nest's metadata key for a microservice handler's kind (`@nestjs/microservices`, not imported). */
const PATTERN_HANDLER_METADATA = 'microservices:handler_type';
const EVENT_HANDLER = 2;

/** The arguments a GraphQL or message call carries besides its payload. */
const CALL_FIELDS = ['idempotencyKey', 'ifMatch'] as const;

/** The calls of GraphQL fields (by their `info`) and of messages (by their data). */
const calls = new WeakMap<object, TransportCall>();

/**
 * One guarded call as the pipeline reads it, whatever the transport: an HTTP request is read as
 * it is; a GraphQL field or a message is read as a request of that shape (`params` the arguments
 * or the message, `body` the event's payload, `headers` the HTTP request's where there is one,
 * plus `idempotency-key` and `if-match` from the `idempotencyKey` and `ifMatch` arguments).
 */
export interface TransportCall extends GuardRequest {
  readonly transport: TransitionTransport;
}

/**
 * The call of a guarded handler's context, read once per call (a GraphQL document with two
 * mutations makes two calls; a message whose data is not an object is read as an empty one, and
 * answered 400 for its missing id). Throws for a context it does not read (WebSockets), naming
 * the fix.
 */
export function callOf(context: ExecutionContext, idField = 'id'): GuardRequest {
  const type = context.getType<string>();
  if (type === 'http') return context.switchToHttp().getRequest<GuardRequest>();
  if (type !== 'graphql' && type !== 'rpc') {
    const where = `${context.getClass().name}.${context.getHandler().name}`;
    throw new Error(
      `@Transition() on ${where} was reached from a '${type}' context, which TransitionGuard does ` +
        `not read (it reads HTTP, GraphQL and microservice handlers). Subclass TransitionGuard ` +
        `and override getRequest() for '${type}', then use your guard.`,
    );
  }
  const key = keyOf(context);
  const known = key && calls.get(key);
  if (known) return known;
  const call =
    type === 'graphql'
      ? graphqlCall(context.getArgs())
      : messageCall(context, context.getArgs(), idField);
  if (key) calls.set(key, call);
  return call;
}

/** The call a guard read for this host before, if any (filters, interceptors, decorators). */
export function knownCallOf(host: ArgumentsHost): GuardRequest | undefined {
  if (host.getType() === 'http') return host.switchToHttp().getRequest<GuardRequest>();
  const key = keyOf(host);
  return key ? calls.get(key) : undefined;
}

/** The transport of a host: `rpc` split into messages and events by the call the guard read. */
export function transportOf(host: ArgumentsHost): TransitionTransport {
  const type = host.getType<string>();
  if (type === 'http' || type === 'graphql') return type;
  const call = knownCallOf(host) as TransportCall | undefined;
  return call?.transport ?? 'rpc-message';
}

function keyOf(host: ArgumentsHost): object | undefined {
  const type = host.getType<string>();
  const key: unknown = type === 'graphql' ? host.getArgByIndex(3) : host.getArgByIndex(0);
  return key !== null && typeof key === 'object' ? key : undefined;
}

type Headers = Record<string, string | string[] | undefined>;
type Args = Record<string, unknown>;

const asObject = (value: unknown): Args | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Args)
    : undefined;

/**
 * A GraphQL field: the arguments as `params` (the id is an argument), the `input` argument as the
 * event's payload, the caller and the headers from the HTTP request in the GraphQL context
 * (Apollo's `req`, Mercurius's `reply.request`).
 */
function graphqlCall(args: unknown[]): TransportCall {
  const [, rawArgs, rawContext, rawInfo] = args;
  const params = asObject(rawArgs) ?? {};
  const context = asObject(rawContext) ?? {};
  const reply = asObject(context.reply);
  const request = asObject(context.req) ?? asObject(context.request) ?? asObject(reply?.request);
  const info = asObject(rawInfo);
  const parent = asObject(info?.parentType)?.name;
  const name = info?.fieldName;
  const field = `${typeof parent === 'string' ? parent : 'Mutation'}.${typeof name === 'string' ? name : ''}`;
  return {
    transport: 'graphql',
    method: 'GRAPHQL',
    url: `graphql:${field}`,
    headers: withCallFields(asObject(request?.headers) as Headers | undefined, params),
    params: params as Record<string, string | undefined>,
    body: params.input,
    user: request?.user ?? context.user,
  };
}

/**
 * A message: its fields as `params` (the id is one of them), the rest as the event's payload
 * (without the id, `headers`, `user`, `idempotencyKey` and `ifMatch`). Its `headers` field (an
 * object) plays the HTTP headers' part: the caller's identity as the app's `getRoles` and
 * `getActor` read it, `idempotency-key`, `if-match`. Its `user` field is `request.user`: what the
 * sending service vouches for.
 */
function messageCall(context: ExecutionContext, args: unknown[], idField: string): TransportCall {
  const data = asObject(args[0]) ?? {};
  const kind: unknown = Reflect.getMetadata(PATTERN_HANDLER_METADATA, context.getHandler());
  const { user, headers, idempotencyKey: _key, ifMatch: _ifMatch, ...rest } = data;
  const payload = Object.fromEntries(Object.entries(rest).filter(([name]) => name !== idField));
  const sent: Headers = {};
  for (const [name, value] of Object.entries(asObject(headers) ?? {})) {
    if (typeof value === 'string') sent[name.toLowerCase()] = value;
  }
  return {
    transport: kind === EVENT_HANDLER ? 'rpc-event' : 'rpc-message',
    method: kind === EVENT_HANDLER ? 'EVENT' : 'MESSAGE',
    url: `rpc:${context.getClass().name}.${context.getHandler().name}`,
    headers: withCallFields(sent, data),
    params: data as Record<string, string | undefined>,
    body: payload,
    user,
  };
}

/** The HTTP headers a call may read (none that describe the HTTP body), plus its own fields. */
function withCallFields(headers: Headers | undefined, fields: Args): Headers {
  const kept: Headers = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!/^content-|^transfer-encoding$/.test(name)) kept[name] = value;
  }
  for (const field of CALL_FIELDS) {
    const value = fields[field];
    if (typeof value === 'string')
      kept[field === 'ifMatch' ? 'if-match' : 'idempotency-key'] = value;
  }
  return kept;
}
