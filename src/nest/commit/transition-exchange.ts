import type { StoredResponse } from '../../store/index.js';
import type { IdempotencySession } from '../idempotency/idempotency-session.js';
import type { CheckedTransition } from '../definition/checked-transition.js';
import type { CommitResult } from '../definition/commit.types.js';
import type { VersionTag } from '../definition/guard-request.js';

/**
 * The exchange of each guarded call (by its request or call object) and of each transition the
 * guard handed out: kept off those objects' shapes (a property added per request sends V8's
 * lookups on the request down a slow path).
 */
const exchanges = new WeakMap<object, TransitionExchange>();

/** The call an exchange is kept for: its request, its idempotency session, its version tag. */
export interface ExchangeCall {
  readonly request: object;
  readonly opened: IdempotencySession | undefined;
  readonly tagVersion?: VersionTag;
}

/**
 * Everything one guarded request carries from the guard to the commit and to the response,
 * besides the transition itself: the version the client pinned (a lost race is then a 412 or a
 * version-mismatch instead of a retry), the idempotency session, a response to replay instead of
 * running the handler, and what the handler committed (for the response's ETag). One object per
 * request (or GraphQL field, or message), kept for it and for the transition handed to the handler.
 */
export class TransitionExchange {
  private done: CommitResult | undefined = undefined;

  /** Set by `TransitionService.commit()` when the write went through. */
  get committed(): CommitResult | undefined {
    return this.done;
  }

  /**
   * The write went through (inside the app's transaction: once that one committed): the
   * idempotency key is committed, its lease needs no renewal, and the answer names the version
   * (over HTTP, `ETag: "v<version>"`, set here rather than by an interceptor).
   */
  set committed(result: CommitResult | undefined) {
    this.done = result;
    if (!result) return;
    this.idempotency?.committed();
    if (result.version !== undefined) this.tagVersion?.(result.version);
  }

  private constructor(
    readonly transition: CheckedTransition | undefined,
    readonly pinned: 'if-match' | 'expected-version' | undefined,
    readonly idempotency: IdempotencySession | undefined,
    readonly replay: StoredResponse | undefined,
    /** The roles the transition taken declares (a replay asks for them again). */
    readonly roles?: readonly string[],
    /** What the transport answers with a committed version (HTTP: the ETag header). */
    private readonly tagVersion?: VersionTag,
  ) {}

  /** A checked request: the handler runs with `transition`. */
  static checked(
    call: ExchangeCall,
    transition: CheckedTransition,
    pinned: 'if-match' | 'expected-version' | undefined,
    roles?: readonly string[],
  ): TransitionExchange {
    const exchange = new TransitionExchange(
      transition,
      pinned,
      call.opened,
      undefined,
      roles,
      call.tagVersion,
    );
    exchanges.set(transition, exchange);
    exchanges.set(call.request, exchange);
    return exchange;
  }

  /** A repeated idempotent request: the stored response is replayed, the handler does not run. */
  static replaying(request: object, response: StoredResponse): TransitionExchange {
    const exchange = new TransitionExchange(undefined, undefined, undefined, response);
    exchanges.set(request, exchange);
    return exchange;
  }

  /** The exchange of a request, once the guard passed it. */
  static ofRequest(request: object | undefined): TransitionExchange | undefined {
    return request ? exchanges.get(request) : undefined;
  }

  /** The exchange behind a transition the guard handed out (none for one built by hand). */
  static of(transition: object): TransitionExchange | undefined {
    return exchanges.get(transition);
  }
}
