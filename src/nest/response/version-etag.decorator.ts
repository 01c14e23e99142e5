import {
  Inject,
  Injectable,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { map, type Observable } from 'rxjs';
import { etagFor } from '../../http/index.js';

/**
 * Sends `ETag: "v<version>"` from the `version` field of what the handler returns; what
 * `@VersionETag()` attaches.
 *
 * @example
 * app.useGlobalInterceptors(app.get(VersionETagInterceptor)); // every route that returns a version
 */
@Injectable()
export class VersionETagInterceptor implements NestInterceptor {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const response: unknown = context.switchToHttp().getResponse();
    return next.handle().pipe(
      map((body: unknown) => {
        const version = (body as { version?: unknown } | null)?.version;
        const etag = Number.isSafeInteger(version) ? etagFor(version as number) : undefined;
        if (etag) this.adapterHost.httpAdapter.setHeader(response, 'ETag', etag);
        return body;
      }),
    );
  }
}

/**
 * For a GET route of a guarded resource: sends `ETag: "v<version>"` from the `version` field of
 * the returned object, the tag transition routes compare `If-Match` with. (Express adds its own
 * weak body-hash ETag to responses without one; turn that off with `app.set('etag', false)`.)
 *
 * @example
 * @Get(':id')
 * @VersionETag()
 * get(@Param('id', ResourceIdPipe('order')) id: string) {
 *   return this.orders.findOneByOrFail({ id: Number(id) }); // { ..., version: 3 } -> ETag: "v3"
 * }
 */
export function VersionETag(): MethodDecorator & ClassDecorator {
  return UseInterceptors(VersionETagInterceptor);
}
