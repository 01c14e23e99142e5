import { Catch, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TRANSITION_GUARD_OPTIONS } from '../module/module-definition.js';
import type { ResolvedTransitionGuardOptions } from '../module/options.js';
import { renderHttpError } from './render-error.js';
import { TransitionHttpException } from './transition-http.exception.js';

/**
 * Renders this package's answers: the JSON body as it is, or an RFC 9457
 * `application/problem+json` body when the `problemDetails` option is on, with the headers the
 * answer carries. Attached by `@Transition()`; `AppErrorFilter` renders every error of the app
 * the same way.
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

  catch(exception: TransitionHttpException, host: ArgumentsHost): void {
    renderHttpError(exception, host, this.adapterHost, this.options);
  }
}
