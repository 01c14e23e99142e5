import { Catch, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TRANSITION_GUARD_OPTIONS } from '../module/module-definition.js';
import type { ResolvedTransitionGuardOptions } from '../module/options.js';
import { toProblemDetails } from './problem-details.js';
import { TransitionHttpException } from './transition-http.exception.js';

/**
 * Renders this package's answers: the JSON body as it is, or an RFC 9457
 * `application/problem+json` body when the `problemDetails` option is on, with the headers the
 * answer carries. Attached by `@Transition()`.
 *
 * @example
 * // Attached by @Transition(); to render these errors on your own routes too:
 * @UseFilters(TransitionExceptionFilter)
 * @Get(':id')
 * get(@Param('id') id: string) { throw new ResourceNotFoundException('order', id); }
 */
@Catch(TransitionHttpException)
export class TransitionExceptionFilter implements ExceptionFilter {
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(TRANSITION_GUARD_OPTIONS) private readonly options: ResolvedTransitionGuardOptions,
  ) {}

  catch(exception: TransitionHttpException, host: ArgumentsHost): void {
    const adapter = this.adapterHost.httpAdapter;
    const http = host.switchToHttp();
    const response: unknown = http.getResponse();
    for (const [name, value] of Object.entries(exception.headers)) {
      adapter.setHeader(response, name, value);
    }
    const body = exception.body as unknown as Record<string, unknown>;
    const status = exception.getStatus();
    if (!this.options.problemDetails) {
      adapter.reply(response, body, status);
      return;
    }
    const instance = String(adapter.getRequestUrl(http.getRequest()) ?? '').split('?')[0];
    adapter.setHeader(response, 'Content-Type', 'application/problem+json; charset=utf-8');
    const problem = toProblemDetails(body, {
      title: exception.title,
      typeBase: this.options.problemTypeBase,
      instance,
    });
    // A string body: the adapters keep the content type set above for it.
    adapter.reply(response, JSON.stringify(problem), status);
  }
}
