import {
  HttpException,
  Inject,
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { from, of, type Observable } from 'rxjs';
import { catchError, mergeMap } from 'rxjs/operators';
import type { IdempotencyRecord, IdempotencyStore } from '../http/index.js';
import { IDEMPOTENCY_PENDING, IDEMPOTENCY_REPLAY } from './constants.js';

/** What the guard leaves on the request for a first request with an Idempotency-Key. */
export interface PendingIdempotency {
  readonly store: IdempotencyStore;
  readonly caller: string;
  readonly key: string;
}

/** Headers kept with a stored response, for its replay. */
const KEPT_HEADERS = ['etag', 'location', 'content-type'];

/**
 * Replays the stored response of a repeated `Idempotency-Key` (marked `Idempotent-Replayed: true`)
 * without running the handler; stores the first request's response when it completes (2xx and
 * 4xx), and forgets the key when it fails with a 5xx so that a retry runs again. Attached by
 * `@Transition()`; does nothing on routes without idempotency.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger('IdempotencyInterceptor');

  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest();
    const response = context.switchToHttp().getResponse();
    const adapter = this.adapterHost.httpAdapter;
    const replay: IdempotencyRecord | undefined = request[IDEMPOTENCY_REPLAY];
    if (replay) {
      const stored = replay.response ?? {
        status: 200,
        body: { transition: replay.committed },
        headers: {},
      };
      adapter.status(response, stored.status);
      for (const [name, value] of Object.entries(stored.headers))
        adapter.setHeader(response, name, value);
      adapter.setHeader(response, 'Idempotent-Replayed', 'true');
      return of(stored.body);
    }
    const pending: PendingIdempotency | undefined = request[IDEMPOTENCY_PENDING];
    if (!pending) return next.handle();
    const headers = () =>
      Object.fromEntries(
        KEPT_HEADERS.map((h) => [h, response.getHeader?.(h)]).filter(
          (e): e is [string, string] => typeof e[1] === 'string',
        ),
      );
    return next.handle().pipe(
      mergeMap((body) =>
        from(
          pending.store
            .complete(pending.caller, pending.key, {
              status: response.statusCode ?? 200,
              body,
              headers: headers(),
            })
            .catch((err) =>
              this.logger.error(
                `Storing the response of Idempotency-Key '${pending.key}' failed: ${err?.message}`,
              ),
            )
            .then(() => body),
        ),
      ),
      catchError((err: unknown) => {
        const status = err instanceof HttpException ? err.getStatus() : 500;
        const settle =
          status >= 500
            ? pending.store.release(pending.caller, pending.key)
            : pending.store.complete(pending.caller, pending.key, {
                status,
                body: (err as HttpException).getResponse(),
                headers: {},
              });
        return from(settle.catch(() => undefined).then(() => Promise.reject(err)));
      }),
    );
  }
}
