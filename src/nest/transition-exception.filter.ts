import {
  Catch,
  HttpException,
  Inject,
  Optional,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { IllegalTransitionException } from './exceptions/illegal-transition.exception.js';
import { InvalidTransitionRequestException } from './exceptions/invalid-transition-request.exception.js';
import { ResourceNotFoundException } from './exceptions/resource-not-found.exception.js';
import { TransitionForbiddenException } from './exceptions/transition-forbidden.exception.js';
import { StoreUnavailableException } from './exceptions/store-unavailable.exception.js';
import {
  PreconditionFailedException,
  PreconditionRequiredException,
} from './exceptions/precondition.exceptions.js';
import {
  IdempotencyKeyReusedException,
  RequestInProgressException,
} from './exceptions/idempotency.exceptions.js';
import { toProblemDetails } from './exceptions/problem-details.js';
import { TRANSITION_GUARD_OPTIONS } from './transition-guard.module-definition.js';
import { resolveOptions, type ResolvedTransitionGuardOptions } from './transition-guard.options.js';

/**
 * Renders this package's 4xx answers: the JSON body as is, or an RFC 9457
 * `application/problem+json` body when `problemDetails` is on. Attached by `@Transition()`.
 */
@Catch(
  IllegalTransitionException,
  InvalidTransitionRequestException,
  ResourceNotFoundException,
  TransitionForbiddenException,
  StoreUnavailableException,
  PreconditionFailedException,
  PreconditionRequiredException,
  IdempotencyKeyReusedException,
  RequestInProgressException,
)
export class TransitionExceptionFilter implements ExceptionFilter {
  private readonly options: ResolvedTransitionGuardOptions;

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(TRANSITION_GUARD_OPTIONS) options?: ResolvedTransitionGuardOptions,
  ) {
    this.options = options ?? resolveOptions({});
  }

  catch(exception: HttpException, host: ArgumentsHost): void {
    const adapter = this.adapterHost.httpAdapter;
    const { request, response } = {
      request: host.switchToHttp().getRequest(),
      response: host.switchToHttp().getResponse(),
    };
    const body = exception.getResponse() as Record<string, unknown>;
    const status = exception.getStatus();
    if (!this.options.problemDetails) {
      adapter.reply(response, body, status);
      return;
    }
    const instance = String(adapter.getRequestUrl(request) ?? '').split('?')[0];
    adapter.setHeader(response, 'Content-Type', 'application/problem+json; charset=utf-8');
    // A string body: the adapters keep the content type set above for it.
    adapter.reply(
      response,
      JSON.stringify(toProblemDetails(body, this.options.problemTypeBase, instance)),
      status,
    );
  }
}
