import { Catch, Inject, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { EMPTY, throwError, type Observable } from 'rxjs';
import { TRANSITION_GUARD_OPTIONS } from '../definition/module-definition.js';
import type { ResolvedTransitionGuardOptions } from '../definition/options.js';
import { TransitionHttpException } from '../errors/transition-http.exception.js';
import { transportOf } from '../request/transport-call.js';
import { renderHttpError } from './render-error.js';
import { TransitionGraphQLError } from './transport-errors.js';

/**
 * Renders this package's answers, the same body on every transport. Over HTTP: the JSON body as
 * it is, or an RFC 9457 `application/problem+json` body when the `problemDetails` option is on,
 * with the headers the answer carries. Over GraphQL: a `TransitionGraphQLError` (the body under
 * `extensions.body`, a code under `extensions.code`). To a `@MessagePattern` caller: the body as
 * the error the client's observable fails with. For an `@EventPattern` message, which nobody
 * waits for: the refusal logged (warn) with its body, and the message acknowledged (consumed).
 * Attached by `@Transition()`; `AppErrorFilter` renders every error of an HTTP app the same way.
 *
 * @example
 * // Attached by @Transition(); to render these errors on your own routes too:
 * @UseFilters(TransitionExceptionFilter)
 * @Get(':id')
 * get(@Param('id') id: string) { throw new ResourceNotFoundException('order', id); }
 */
@Catch(TransitionHttpException)
export class TransitionExceptionFilter implements ExceptionFilter {
  /** @internal Nest injects it. */
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(TRANSITION_GUARD_OPTIONS) private readonly options: ResolvedTransitionGuardOptions,
  ) {}

  private readonly logger = new Logger('TransitionExceptionFilter');

  catch(exception: TransitionHttpException, host: ArgumentsHost): unknown {
    switch (transportOf(host)) {
      case 'http':
        renderHttpError(exception, host, this.adapterHost, this.options);
        return undefined;
      case 'graphql':
        return new TransitionGraphQLError(exception);
      case 'rpc-message':
        return throwError(() => exception.body);
      case 'rpc-event':
        return this.consumed(exception);
    }
  }

  /** An event's refusal: logged with its body, never thrown into the void. */
  private consumed(exception: TransitionHttpException): Observable<never> {
    const { body } = exception;
    this.logger.warn(`Event refused (${body.code}): ${body.message} ${JSON.stringify(body)}`);
    return EMPTY;
  }
}
