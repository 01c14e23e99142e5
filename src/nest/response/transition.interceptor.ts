import {
  HttpStatus,
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { from, of, type Observable } from 'rxjs';
import { catchError, mergeMap } from 'rxjs/operators';
import type { StoredResponse } from '../../store/index.js';
import { TransitionExchange } from '../commit/transition-exchange.js';
import { knownCallOf } from '../request/transport-call.js';
import type { IdempotencySession } from '../idempotency/idempotency-session.js';

/** Headers kept with a stored response, for its replay. */
const KEPT_HEADERS = ['etag', 'location', 'content-type'];

type HeaderReader = { getHeader?(name: string): unknown };

/**
 * The answering edge of an idempotent guarded handler, attached by `@Transition(..., {
 * idempotency: true })` (a route without `Idempotency-Key` runs without an interceptor: NestJS
 * then skips its Observable path). Over HTTP: replays the stored response of a repeated
 * `Idempotency-Key` (marked `Idempotent-Replayed: true`) without running the handler; stores the
 * first response (with its `ETag`, which the commit sets); frees the key of an attempt that
 * failed before committing, and keeps a committed one. Over GraphQL and messages: the same replay
 * and storing, without headers.
 *
 * @example
 * // Attached by @Transition(); for an idempotent route guarded by a TransitionGuard subclass:
 * @UseGuards(MyTransitionGuard)
 * @UseInterceptors(TransitionInterceptor)
 */
@Injectable()
export class TransitionInterceptor implements NestInterceptor {
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const exchange = TransitionExchange.ofRequest(knownCallOf(context));
    if (!exchange) return next.handle();
    if (context.getType() !== 'http') return this.interceptCall(exchange, next);
    const http = context.switchToHttp();
    const response = http.getResponse<HeaderReader>();
    const adapter = this.adapterHost.httpAdapter;
    if (exchange.replay) {
      const stored = exchange.replay;
      adapter.status(response, stored.status);
      for (const [name, value] of Object.entries(stored.headers)) {
        adapter.setHeader(response, name, value);
      }
      adapter.setHeader(response, 'Idempotent-Replayed', 'true');
      return of(stored.body);
    }
    const session = exchange.idempotency;
    if (!session) return next.handle();
    const status = this.statusOf(context);
    return recorded(next.handle(), exchange, session, (body) =>
      storedResponse(status, body, response),
    );
  }

  /**
   * A GraphQL field or a message: a repeated `idempotencyKey` gets the first call's answer, the
   * first answer is stored; no status, no headers.
   */
  private interceptCall(exchange: TransitionExchange, next: CallHandler): Observable<unknown> {
    if (exchange.replay) return of(exchange.replay.body);
    const session = exchange.idempotency;
    if (!session) return next.handle();
    return recorded(next.handle(), exchange, session, (body) => ({
      status: HttpStatus.OK,
      body,
      headers: {},
    }));
  }

  /** The status Nest answers a handler's return value with (`@HttpCode`, else 201 for POST). */
  private statusOf(context: ExecutionContext): number {
    const code = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler());
    if (code !== undefined) return code;
    const method = context.switchToHttp().getRequest<{ method?: string }>().method;
    return method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK;
  }
}

/**
 * The handler's answer stored under its Idempotency-Key; on its error the key is kept when the
 * transition committed (a retry replays it) and freed otherwise.
 */
function recorded(
  answer: Observable<unknown>,
  exchange: TransitionExchange,
  session: IdempotencySession,
  toStored: (body: unknown) => StoredResponse,
): Observable<unknown> {
  return answer.pipe(
    mergeMap((body: unknown) => from(session.complete(toStored(body)).then(() => body))),
    catchError((err: unknown) =>
      from(exchange.committed ? Promise.resolve() : session.abandon()).pipe(
        mergeMap(() => Promise.reject(err as Error)),
      ),
    ),
  );
}

function storedResponse(status: number, body: unknown, response: HeaderReader): StoredResponse {
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = response.getHeader?.(name);
    if (typeof value === 'string') headers[name] = value;
  }
  return { status, body, headers };
}
