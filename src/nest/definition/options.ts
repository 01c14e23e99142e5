import type { Type } from '@nestjs/common';
import { z } from 'zod';
import type { IdempotencyStore, OutboxStore, TimerStore } from '../../store/index.js';
import type { TransitionEnvelope } from '../../outbox/transition-envelope.js';
import type { GuardRequest } from './guard-request.js';

export const DEFAULT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** A function option, checked to be one (its signature is TypeScript's to check). */
const fn = <F>(name: string) =>
  z.custom<F>((v) => typeof v === 'function', `${name} must be a function`);

const ms = (seconds: number) => seconds * 1000;

/**
 * The options of `TransitionGuardModule.forRoot()`, stated once: each field's type, its bounds,
 * its default and its documentation. `TransitionGuardOptions` (what an app passes) and
 * `ResolvedTransitionGuardOptions` (what the providers inject, defaults filled in) are derived.
 */
const optionsSchema = z.strictObject({
  /**
   * Answer refusals as RFC 9457 `application/problem+json` (type, title, status, detail, instance,
   * plus the same fields as the default body). Default false.
   */
  problemDetails: z.boolean().default(false),
  /** Prefix of problem `type` URIs. Default `'urn:transition-guard:'` (`urn:transition-guard:illegal-transition`). */
  problemTypeBase: z.string().min(1).default('urn:transition-guard:'),
  /**
   * The caller's roles, for transitions that declare `meta: { roles: [...] }`. Default: the
   * `roles` array (or `role` string) of `request.user`, as an auth guard leaves it.
   */
  getRoles: fn<(request: GuardRequest) => readonly string[] | string | undefined | null>(
    'getRoles',
  ).default(() => defaultRoles),
  /**
   * Resource ids must match this. Default: what the store's key column can hold (an integer key:
   * digits within its range, no leading zeros; a UUID key: a UUID), and for a resource without a
   * store 1 to 128 letters, digits, `_` or `-`.
   */
  idPattern: z.instanceof(RegExp, { message: 'idPattern must be a RegExp' }).optional(),
  /** Who is acting, for the transition log and idempotency keys. Default: `request.user.id` (or `sub`), else null. */
  getActor: fn<(request: GuardRequest) => string | number | null | undefined>('getActor').default(
    () => defaultActor,
  ),
  /**
   * How `TransitionService.commit()` handles a lost race (the row moved between check and write):
   * it reloads and re-checks the event. Still legal: it retries, up to `maxRetries` times
   * (default 3), when `retryWhen` allows: `'same-state'` (default: only the version moved, the
   * state is the one checked) or `'still-legal'` (any state from which the event is still legal).
   * Else: 409 `stale-state`.
   */
  commit: z
    .strictObject({
      maxRetries: z.number().int().min(0).max(100).default(3),
      retryWhen: z.enum(['same-state', 'still-legal']).default('same-state'),
    })
    .prefault({}),
  /**
   * Recognizes errors that mean the database is down, so that `AppErrorFilter` answers them 503
   * on the application's own routes (`isUnavailable` from `nestjs-transition-guard/typeorm` for
   * TypeORM). Default: only `StoreUnavailableError`.
   */
  isStoreUnavailable: fn<(error: unknown) => boolean>('isStoreUnavailable').default(
    () => () => false,
  ),
  /** Require `If-Match` on every transition route (428 without it). Per route: `@Transition(..., { ifMatch: 'required' })`. */
  requireIfMatch: z.boolean().default(false),
  /**
   * `Idempotency-Key` on routes that enable it (`@Transition(..., { idempotency: true })`): keys
   * are forgotten after `ttlSeconds` (default 86,400); an attempt holds its key for at most
   * `leaseSeconds` (default 60) before a retry may take it over, renewed every third of it while
   * the handler runs; `store` is an injectable class implementing `IdempotencyStore` (default:
   * `MemoryIdempotencyStore`, one process). A request with a key but no caller identity
   * (`getActor` found none): `anonymousKeys: 'refuse'` (default) answers 400
   * `IDEMPOTENCY_CALLER_REQUIRED`; `'shared'` puts every such key in one namespace shared by all
   * anonymous callers, who can then replay each other's responses: unsafe unless nothing
   * anonymous is private. Expired keys are deleted every `purge.everySeconds` (default 60),
   * `purge.batchSize` (1,000) at a time, by every process; `purge: false` leaves retention to you
   * (`IdempotencyStore.purge()`).
   */
  idempotency: z
    .strictObject({
      ttlSeconds: z.number().int().min(1).max(31_536_000).default(86_400),
      leaseSeconds: z.number().int().min(1).max(86_400).default(60),
      store: fn<Type<IdempotencyStore>>('idempotency.store').optional(),
      anonymousKeys: z.enum(['refuse', 'shared']).default('refuse'),
      purge: z
        .union([
          z.literal(false),
          z.strictObject({
            everySeconds: z.number().int().min(1).max(86_400).default(60),
            batchSize: z.number().int().min(1).max(100_000).default(1000),
          }),
        ])
        .prefault({}),
    })
    .prefault({}),
  /**
   * The transactional outbox, for `@OnTransition()` handlers: each committed transition writes one
   * message per matching handler in its own transaction; a relay delivers them at least once.
   * `store`: an injectable class implementing `OutboxStore` on the same database as the resources'
   * stores (`TypeOrmOutboxStore`; default `MemoryOutboxStore`, with memory stores only). `relay`:
   * this process delivers (default true; false for processes that only write). Deliveries: up to
   * `batchSize` (50) at once, every `pollIntervalMs` (1,000) or as soon as this process commits;
   * a claim holds a message `leaseSeconds` (30); a failure is retried after `backoff.baseMs`
   * (1,000) doubling up to `backoff.maxMs` (300,000), `maxAttempts` (10) times before the message
   * is parked as dead; delivered messages are deleted, or kept `keepDeliveredSeconds` (0).
   * `publish`: destinations on brokers, each a `ClientProxy` of `@nestjs/microservices` (the
   * token it is registered under, e.g. `ClientsModule.register([{ name: 'EVENTS', ... }])`) that
   * gets `emit(pattern, TransitionEnvelope)` for every committed transition of `resource` (or of
   * its `event`s), through the outbox like a handler: after the commit, at least once, each
   * resource's messages in commit order. `pattern`: default `<resource>.<event>`.
   * `notify`: PostgreSQL's LISTEN/NOTIFY between processes (`url`, a connection string, each
   * process opening one connection of its own; `channel`, default `transition_outbox`): a process
   * that writes messages without delivering them (`relay: false`) notifies after its commits, and
   * a relay listens, delivering within milliseconds instead of at its next poll. Needs `pg`.
   */
  outbox: z
    .strictObject({
      store: fn<Type<OutboxStore>>('outbox.store').optional(),
      publish: z
        .array(
          z.strictObject({
            client: z.union([z.string().min(1), z.symbol()]),
            resource: z.union([
              z.string().min(1),
              z.custom<{ readonly resource: string }>(
                (v) => typeof (v as { resource?: unknown } | null)?.resource === 'string',
                'outbox.publish[].resource must be a resource (defineResource) or its name',
              ),
            ]),
            event: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
            pattern: z
              .union([
                z.string().min(1),
                fn<(envelope: TransitionEnvelope) => string>('outbox.publish[].pattern'),
              ])
              .optional(),
          }),
        )
        .default([]),
      relay: z.boolean().default(true),
      notify: z
        .strictObject({
          url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// connection string'),
          channel: z
            .string()
            .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lowercase identifier (letters, digits, _)')
            .default('transition_outbox'),
        })
        .optional(),
      batchSize: z.number().int().min(1).max(1000).default(50),
      pollIntervalMs: z.number().int().min(10).max(3_600_000).default(1000),
      leaseSeconds: z.number().int().min(2).max(86_400).default(30),
      maxAttempts: z.number().int().min(1).max(1000).default(10),
      backoff: z
        .strictObject({
          baseMs: z.number().int().min(1).max(86_400_000).default(1000),
          maxMs: z.number().int().min(1).max(86_400_000).default(300_000),
        })
        .prefault({}),
      keepDeliveredSeconds: z.number().int().min(0).max(31_536_000).default(0),
    })
    .prefault({})
    .transform(({ leaseSeconds, keepDeliveredSeconds, ...rest }) => ({
      ...rest,
      leaseMs: ms(leaseSeconds),
      keepDeliveredMs: ms(keepDeliveredSeconds),
    })),
  /**
   * At bootstrap, each store counts its rows per state (`countStates()`, one `GROUP BY` query
   * per resource) and compares them with the machine. Rows in a state the machine does not have
   * (a state renamed or removed without migrating its rows): `'refuse'` stops the start with an
   * error naming the states, their counts and the migrate command; `'warn'` logs it; `'off'`
   * skips the query. Default: `'refuse'` when `NODE_ENV` is `production`, else `'warn'`.
   */
  /**
   * Durable timers for the machines' `after` transitions: a committed transition that enters a
   * state with `after` arms a timer row in its own transaction (due at the database's clock plus
   * the delay), and one that leaves it disarms it; a firing loop sends the due timer's event
   * through the same commit as a request (actor `system:timer`), exactly once across processes.
   * `store`: an injectable class implementing `TimerStore` on the same database as the resources'
   * stores (`TypeOrmTimerStore`; default `MemoryTimerStore`, with memory stores only). `fire`:
   * this process runs the loop (default true). Up to `batchSize` (50) due timers every
   * `pollIntervalMs` (1,000), `concurrency` (8) fired at once, each claimed for `leaseSeconds`
   * (30: a process that dies holding it is relieved then). `onOverdue`: a timer found more than
   * `overdueAfterSeconds` (60) late, after downtime, fires (`'fire'`, default) or is dropped
   * without firing (`'skip'`, logged).
   */
  timers: z
    .strictObject({
      store: fn<Type<TimerStore>>('timers.store').optional(),
      fire: z.boolean().default(true),
      pollIntervalMs: z.number().int().min(10).max(3_600_000).default(1000),
      batchSize: z.number().int().min(1).max(1000).default(50),
      concurrency: z.number().int().min(1).max(100).default(8),
      leaseSeconds: z.number().int().min(2).max(86_400).default(30),
      onOverdue: z.enum(['fire', 'skip']).default('fire'),
      overdueAfterSeconds: z.number().int().min(1).max(31_536_000).default(60),
    })
    .prefault({})
    .transform(({ leaseSeconds, overdueAfterSeconds, ...rest }) => ({
      ...rest,
      leaseMs: ms(leaseSeconds),
      overdueAfterMs: ms(overdueAfterSeconds),
    })),
  storedStates: z.enum(['refuse', 'warn', 'off']).optional(),
  /**
   * The request's correlation id, for the transition log. Default: the `X-Request-Id` (or
   * `X-Correlation-Id`) header when it is 1 to 128 visible ASCII characters, else none.
   */
  getCorrelationId: fn<(request: GuardRequest) => string | null | undefined>(
    'getCorrelationId',
  ).default(() => defaultCorrelationId),
});

/** Options of `TransitionGuardModule.forRoot()`. Every field is optional. */
export type TransitionGuardOptions = z.input<typeof optionsSchema>;

/** Options with defaults filled in: what every provider of the module injects. */
export type ResolvedTransitionGuardOptions = Readonly<z.output<typeof optionsSchema>>;

/**
 * Validates options; a wrong option stops the application at bootstrap with the field and the fix.
 *
 * @example
 * resolveOptions({ commit: { maxRetries: 7 } }).commit; // { maxRetries: 7, retryWhen: 'same-state' }
 */
export function resolveOptions(
  options: TransitionGuardOptions | undefined,
): ResolvedTransitionGuardOptions {
  const parsed = optionsSchema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) =>
    i.code === 'unrecognized_keys' && i.keys.includes('isGlobal')
      ? '- isGlobal: the module is always global (one registry per application, which every forFeature() registers into); remove the option'
      : `- ${i.path.join('.') || '(options)'}: ${i.message}`,
  );
  throw new Error(`TransitionGuardModule.forRoot(): invalid options:\n${lines.join('\n')}`);
}

const CORRELATION_ID = /^[\x21-\x7e]{1,128}$/;

function defaultCorrelationId(request: GuardRequest): string | null {
  for (const name of ['x-request-id', 'x-correlation-id']) {
    const value = request.headers[name];
    if (typeof value === 'string' && CORRELATION_ID.test(value)) return value;
  }
  return null;
}

function defaultActor(request: GuardRequest): string | null {
  const user = request.user as { id?: unknown; sub?: unknown } | undefined;
  const id = user?.id ?? user?.sub;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
}

function defaultRoles(request: GuardRequest): readonly string[] {
  const user = request.user as { roles?: unknown; role?: unknown } | undefined;
  if (Array.isArray(user?.roles))
    return user.roles.filter((r): r is string => typeof r === 'string');
  return typeof user?.role === 'string' ? [user.role] : [];
}
