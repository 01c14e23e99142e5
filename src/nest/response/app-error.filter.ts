import {
  Catch,
  HttpException,
  Inject,
  InternalServerErrorException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { neverSent } from '../../store/database-failures.js';
import { StoreUnavailableError } from '../../store/index.js';
import { TRANSITION_GUARD_OPTIONS } from '../definition/module-definition.js';
import type { ResolvedTransitionGuardOptions } from '../definition/options.js';
import { renderHttpError } from './render-error.js';
import { bodyParserException } from '../errors/request-body.exception.js';
import { StoreUnavailableException } from '../errors/store-unavailable.exception.js';

/**
 * One error format for the whole application: every `HttpException` (this package's and your
 * own routes') rendered the same way, plain JSON or RFC 9457 problem details by the
 * `problemDetails` option, always with a `code`; a body the platform's parser refused (invalid
 * JSON, too large, an unsupported encoding) answered like the package's own errors
 * (`INVALID_BODY`, `PAYLOAD_TOO_LARGE`, `UNSUPPORTED_MEDIA_TYPE`); a database that is down (`StoreUnavailableError`, or what the
 * `isStoreUnavailable` option recognizes, such as `isUnavailable` from
 * `nestjs-transition-guard/typeorm`) is a 503 with `Retry-After` (its `outcome` says whether a
 * write may have been applied: `unknown` for a failed POST, PUT, PATCH or DELETE whose
 * statements reached the database); anything else a 500 with a
 * generic body and the cause in the log. Non-HTTP contexts are left to Nest.
 *
 * @example
 * @Module({
 *   imports: [TransitionGuardModule.forRoot({ problemDetails: true, isStoreUnavailable: isUnavailable })],
 *   providers: [{ provide: APP_FILTER, useClass: AppErrorFilter }],
 * })
 * export class AppModule {}
 */
@Catch()
export class AppErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('AppErrorFilter');

  /** @internal Nest injects it. */
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(TRANSITION_GUARD_OPTIONS) private readonly options: ResolvedTransitionGuardOptions,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const { method } = host.switchToHttp().getRequest<{ method?: string }>();
    renderHttpError(this.toHttp(exception, method), host, this.adapterHost, this.options);
  }

  private toHttp(exception: unknown, method: string | undefined): HttpException {
    if (exception instanceof HttpException) return bodyParserException(exception) ?? exception;
    const error = exception instanceof Error ? exception : new Error(String(exception));
    if (exception instanceof StoreUnavailableError || this.options.isStoreUnavailable(exception)) {
      this.logger.warn(`The database is unavailable: ${error.message}`);
      if (exception instanceof StoreUnavailableError) {
        return new StoreUnavailableException(exception.store, {
          cause: exception,
          outcome: exception.outcome,
        });
      }
      // An app's own write that failed once its statements were sent may have been applied.
      const safe = method === undefined || ['GET', 'HEAD', 'OPTIONS'].includes(method);
      return new StoreUnavailableException('database', {
        cause: exception,
        outcome: safe || neverSent(exception) ? 'not-applied' : 'unknown',
      });
    }
    this.logger.error(error.message, error.stack);
    return new InternalServerErrorException();
  }
}
