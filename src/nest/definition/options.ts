import type { Type } from '@nestjs/common';
import { z } from 'zod';
import type { IdempotencyStore, OutboxStore } from '../../store/index.js';
import type { GuardRequest } from './guard-request.js';

/** Options of `TransitionGuardModule.forRoot()`. Every field is optional. */
export interface TransitionGuardOptions {
  /**
   * Answer refusals as RFC 9457 `application/problem+json` (type, title, status, detail, instance,
   * plus the same fields as the default body). Default false.
   */
  problemDetails?: boolean;
  /** Prefix of problem `type` URIs. Default `'urn:transition-guard:'` (`urn:transition-guard:illegal-transition`). */
  problemTypeBase?: string;
  /**
   * The caller's roles, for transitions that declare `meta: { roles: [...] }`. Default: the
   * `roles` array (or `role` string) of `request.user`, as an auth guard leaves it.
   */
  getRoles?: (request: GuardRequest) => readonly string[] | string | undefined | null;
  /**
   * Resource ids must match this. Default: what the store's key column can hold (an integer key:
   * digits within its range, no leading zeros; a UUID key: a UUID), and for a resource without a
   * store 1 to 128 letters, digits, `_` or `-`.
   */
  idPattern?: RegExp;
  /** Who is acting, for the transition log and idempotency keys. Default: `request.user.id` (or `sub`), else null. */
  getActor?: (request: GuardRequest) => string | number | null | undefined;
  /**
   * How `TransitionService.commit()` handles a lost race (the row moved between check and write):
   * it reloads and re-checks the event. Still legal: it retries, up to `maxRetries` times, when
   * `retryWhen` allows: `'same-state'` (default: only the version moved, the state is the one
   * checked) or `'still-legal'` (any state from which the event is still legal). Else: 409
   * `stale-state`.
   */
  commit?: { maxRetries?: number; retryWhen?: 'same-state' | 'still-legal' };
  /**
   * Recognizes errors that mean the database is down, so that `AppErrorFilter` answers them 503
   * on the application's own routes (`isUnavailable` from `nestjs-transition-guard/typeorm` for
   * TypeORM). Default: only `StoreUnavailableError`.
   */
  isStoreUnavailable?: (error: unknown) => boolean;
  /** Require `If-Match` on every transition route (428 without it). Per route: `@Transition(..., { ifMatch: 'required' })`. */
  requireIfMatch?: boolean;
  /**
   * `Idempotency-Key` on routes that enable it (`@Transition(..., { idempotency: true })`): keys
   * are forgotten after `ttlSeconds` (default 86,400); an attempt holds its key for at most
   * `leaseSeconds` (default 60) before a retry may take it over, renewed every third of it while
   * the handler runs; `store` is an injectable class
   * implementing `IdempotencyStore` (default: `MemoryIdempotencyStore`, one process).
   */
  idempotency?: {
    ttlSeconds?: number;
    leaseSeconds?: number;
    store?: Type<IdempotencyStore>;
    /**
     * A request with `Idempotency-Key` but no caller identity (`getActor` found none): `'refuse'`
     * (default) answers 400 `IDEMPOTENCY_CALLER_REQUIRED`; `'shared'` puts every such key in one
     * namespace shared by all anonymous callers, who can then replay each other's responses:
     * unsafe unless nothing anonymous is private.
     */
    anonymousKeys?: 'refuse' | 'shared';
    /**
     * Expired keys are deleted every `everySeconds` (default 60), `batchSize` (1,000) at a time,
     * by every process; `false` leaves retention to you (`IdempotencyStore.purge()`).
     */
    purge?: { everySeconds?: number; batchSize?: number } | false;
  };
  /**
   * The transactional outbox, for `@OnTransition()` handlers: each committed transition writes one
   * message per matching handler in its own transaction; a relay delivers them at least once.
   * `store`: an injectable class implementing `OutboxStore` on the same database as the resources'
   * stores (`TypeOrmOutboxStore`; default `MemoryOutboxStore`, with memory stores only). `relay`:
   * this process delivers (default true; false for processes that only write). Deliveries: up to
   * `batchSize` (20) at once, every `pollIntervalMs` (1,000) or as soon as this process commits;
   * a claim holds a message `leaseSeconds` (30); a failure is retried after `backoff.baseMs`
   * (1,000) doubling up to `backoff.maxMs` (300,000), `maxAttempts` (10) times before the message
   * is parked as dead; delivered messages are deleted, or kept `keepDeliveredSeconds` (0).
   */
  outbox?: {
    store?: Type<OutboxStore>;
    relay?: boolean;
    batchSize?: number;
    pollIntervalMs?: number;
    leaseSeconds?: number;
    maxAttempts?: number;
    backoff?: { baseMs?: number; maxMs?: number };
    keepDeliveredSeconds?: number;
  };
  /**
   * The request's correlation id, for the transition log. Default: the `X-Request-Id` (or
   * `X-Correlation-Id`) header when it is 1 to 128 visible ASCII characters, else none.
   */
  getCorrelationId?: (request: GuardRequest) => string | null | undefined;
}

export const DEFAULT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

const fn = (name: string) =>
  z.custom<(...args: never[]) => unknown>(
    (v) => typeof v === 'function',
    `${name} must be a function`,
  );

const optionsSchema = z.strictObject({
  problemDetails: z.boolean().optional(),
  problemTypeBase: z.string().min(1).optional(),
  getRoles: fn('getRoles').optional(),
  idPattern: z.instanceof(RegExp, { message: 'idPattern must be a RegExp' }).optional(),
  getActor: fn('getActor').optional(),
  commit: z
    .strictObject({
      maxRetries: z.number().int().min(0).max(100).optional(),
      retryWhen: z.enum(['same-state', 'still-legal']).optional(),
    })
    .optional(),
  isStoreUnavailable: fn('isStoreUnavailable').optional(),
  requireIfMatch: z.boolean().optional(),
  idempotency: z
    .strictObject({
      ttlSeconds: z.number().int().min(1).max(31_536_000).optional(),
      leaseSeconds: z.number().int().min(1).max(86_400).optional(),
      store: fn('idempotency.store').optional(),
      anonymousKeys: z.enum(['refuse', 'shared']).optional(),
      purge: z
        .union([
          z.literal(false),
          z.strictObject({
            everySeconds: z.number().int().min(1).max(86_400).optional(),
            batchSize: z.number().int().min(1).max(100_000).optional(),
          }),
        ])
        .optional(),
    })
    .optional(),
  outbox: z
    .strictObject({
      store: fn('outbox.store').optional(),
      relay: z.boolean().optional(),
      batchSize: z.number().int().min(1).max(1000).optional(),
      pollIntervalMs: z.number().int().min(10).max(3_600_000).optional(),
      leaseSeconds: z.number().int().min(2).max(86_400).optional(),
      maxAttempts: z.number().int().min(1).max(1000).optional(),
      backoff: z
        .strictObject({
          baseMs: z.number().int().min(1).max(86_400_000).optional(),
          maxMs: z.number().int().min(1).max(86_400_000).optional(),
        })
        .optional(),
      keepDeliveredSeconds: z.number().int().min(0).max(31_536_000).optional(),
    })
    .optional(),
  getCorrelationId: fn('getCorrelationId').optional(),
});

/** Options with defaults filled in: what every provider of the module injects. */
export interface ResolvedTransitionGuardOptions {
  readonly problemDetails: boolean;
  readonly problemTypeBase: string;
  readonly getRoles: NonNullable<TransitionGuardOptions['getRoles']>;
  /** Undefined: ids follow each store's key type (see `TransitionStore.canonicalId`). */
  readonly idPattern: RegExp | undefined;
  readonly getActor: NonNullable<TransitionGuardOptions['getActor']>;
  readonly commit: {
    readonly maxRetries: number;
    readonly retryWhen: 'same-state' | 'still-legal';
  };
  readonly isStoreUnavailable: (error: unknown) => boolean;
  readonly requireIfMatch: boolean;
  readonly idempotency: {
    readonly ttlSeconds: number;
    readonly leaseSeconds: number;
    readonly store: Type<IdempotencyStore> | undefined;
    readonly anonymousKeys: 'refuse' | 'shared';
    readonly purge: { readonly everySeconds: number; readonly batchSize: number } | false;
  };
  readonly outbox: {
    readonly store: Type<OutboxStore> | undefined;
    readonly relay: boolean;
    readonly batchSize: number;
    readonly pollIntervalMs: number;
    readonly leaseMs: number;
    readonly maxAttempts: number;
    readonly backoff: { readonly baseMs: number; readonly maxMs: number };
    readonly keepDeliveredMs: number;
  };
  readonly getCorrelationId: NonNullable<TransitionGuardOptions['getCorrelationId']>;
}

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
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) =>
      i.code === 'unrecognized_keys' && i.keys.includes('isGlobal')
        ? '- isGlobal: the module is always global (one registry per application, which every forFeature() registers into); remove the option'
        : `- ${i.path.join('.') || '(options)'}: ${i.message}`,
    );
    throw new Error(`TransitionGuardModule.forRoot(): invalid options:\n${lines.join('\n')}`);
  }
  const o = options ?? {};
  return {
    problemDetails: o.problemDetails ?? false,
    problemTypeBase: o.problemTypeBase ?? 'urn:transition-guard:',
    getRoles: o.getRoles ?? defaultRoles,
    idPattern: o.idPattern,
    getActor: o.getActor ?? defaultActor,
    commit: {
      maxRetries: o.commit?.maxRetries ?? 3,
      retryWhen: o.commit?.retryWhen ?? 'same-state',
    },
    isStoreUnavailable: o.isStoreUnavailable ?? (() => false),
    requireIfMatch: o.requireIfMatch ?? false,
    idempotency: {
      ttlSeconds: o.idempotency?.ttlSeconds ?? 86_400,
      leaseSeconds: o.idempotency?.leaseSeconds ?? 60,
      store: o.idempotency?.store,
      anonymousKeys: o.idempotency?.anonymousKeys ?? 'refuse',
      purge:
        o.idempotency?.purge === false
          ? false
          : {
              everySeconds: o.idempotency?.purge?.everySeconds ?? 60,
              batchSize: o.idempotency?.purge?.batchSize ?? 1000,
            },
    },
    outbox: {
      store: o.outbox?.store,
      relay: o.outbox?.relay ?? true,
      batchSize: o.outbox?.batchSize ?? 20,
      pollIntervalMs: o.outbox?.pollIntervalMs ?? 1000,
      leaseMs: (o.outbox?.leaseSeconds ?? 30) * 1000,
      maxAttempts: o.outbox?.maxAttempts ?? 10,
      backoff: {
        baseMs: o.outbox?.backoff?.baseMs ?? 1000,
        maxMs: o.outbox?.backoff?.maxMs ?? 300_000,
      },
      keepDeliveredMs: (o.outbox?.keepDeliveredSeconds ?? 0) * 1000,
    },
    getCorrelationId: o.getCorrelationId ?? defaultCorrelationId,
  };
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
