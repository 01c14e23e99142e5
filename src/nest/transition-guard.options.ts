import { z } from 'zod';

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
  getRoles?: (request: any) => readonly string[] | string | undefined | null;
  /** Resource ids must match this. Default: 1 to 128 letters, digits, `_` or `-`. */
  idPattern?: RegExp;
  /** Who is acting, for the transition log. Default: `request.user.id` (or `sub`), else null. */
  getActor?: (request: any) => string | number | null | undefined;
  /**
   * How `TransitionService.commit()` handles a lost race (the row moved between check and write):
   * it reloads and re-checks the event. Still legal: it retries, up to `maxRetries` times, when
   * `retryWhen` allows: `'same-state'` (default: only the version moved, the state is the one
   * checked) or `'still-legal'` (any state from which the event is still legal). Else: 409
   * `stale-state`.
   */
  commit?: { maxRetries?: number; retryWhen?: 'same-state' | 'still-legal' };
  /** Require `If-Match` on every transition route (428 without it). Per route: `@Transition(..., { ifMatch: 'required' })`. */
  requireIfMatch?: boolean;
  /**
   * `Idempotency-Key` on routes that enable it (`@Transition(..., { idempotency: true })`): keys
   * expire after `ttlSeconds` (default 86,400); `store` is an injectable class implementing
   * `IdempotencyStore` (default: in memory, one process).
   */
  idempotency?: { ttlSeconds?: number; store?: new (...args: any[]) => unknown };
}

export const DEFAULT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

const fn = (name: string) =>
  z.custom<(...args: any[]) => any>((v) => typeof v === 'function', `${name} must be a function`);

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
  requireIfMatch: z.boolean().optional(),
  idempotency: z
    .strictObject({
      ttlSeconds: z.number().int().min(1).max(31_536_000).optional(),
      store: fn('idempotency.store').optional(),
    })
    .optional(),
});

/** Options with defaults filled in. */
export type ResolvedTransitionGuardOptions = Required<
  Omit<TransitionGuardOptions, 'commit' | 'idempotency'>
> & {
  commit: { maxRetries: number; retryWhen: 'same-state' | 'still-legal' };
  idempotency: { ttlSeconds: number; store: (new (...args: any[]) => unknown) | undefined };
};

/** Validates options at bootstrap; a wrong option stops the application with the field and the fix. */
export function resolveOptions(
  options: TransitionGuardOptions | undefined,
): ResolvedTransitionGuardOptions {
  const parsed = optionsSchema.safeParse(options ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `- ${i.path.join('.') || '(options)'}: ${i.message}`,
    );
    throw new Error(`TransitionGuardModule.forRoot(): invalid options:\n${lines.join('\n')}`);
  }
  return {
    problemDetails: parsed.data.problemDetails ?? false,
    problemTypeBase: parsed.data.problemTypeBase ?? 'urn:transition-guard:',
    getRoles: parsed.data.getRoles ?? defaultRoles,
    idPattern: parsed.data.idPattern ?? DEFAULT_ID_PATTERN,
    getActor: parsed.data.getActor ?? defaultActor,
    commit: {
      maxRetries: parsed.data.commit?.maxRetries ?? 3,
      retryWhen: parsed.data.commit?.retryWhen ?? 'same-state',
    },
    requireIfMatch: parsed.data.requireIfMatch ?? false,
    idempotency: {
      ttlSeconds: parsed.data.idempotency?.ttlSeconds ?? 86_400,
      store: parsed.data.idempotency
        ?.store as ResolvedTransitionGuardOptions['idempotency']['store'],
    },
  };
}

function defaultActor(request: { user?: { id?: unknown; sub?: unknown } }): string | null {
  const id = request?.user?.id ?? request?.user?.sub;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
}

function defaultRoles(request: { user?: { roles?: unknown; role?: unknown } }): readonly string[] {
  const user = request?.user;
  if (Array.isArray(user?.roles))
    return user.roles.filter((r): r is string => typeof r === 'string');
  return typeof user?.role === 'string' ? [user.role] : [];
}
