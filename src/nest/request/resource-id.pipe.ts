import { Inject, Injectable, mixin, type PipeTransform, type Type } from '@nestjs/common';
import { TRANSITION_GUARD_OPTIONS } from '../definition/module-definition.js';
import type { ResolvedTransitionGuardOptions } from '../definition/options.js';
import { TransitionRegistry } from '../definition/transition-registry.js';
import { validId } from './request-readers.js';

/**
 * Checks a route's id exactly as the guard does for `resource` (the store's key type, or the
 * `idPattern` option): the canonical id, or 400 `INVALID_RESOURCE_ID` before the database is
 * touched. For the application's own routes (GET) on a guarded resource.
 *
 * @example
 * @Get(':id')
 * get(@Param('id', ResourceIdPipe('order')) id: string) { ... }
 */
export function ResourceIdPipe(resource: string): Type<PipeTransform<unknown, string>> {
  @Injectable()
  class ResourceIdPipeForResource implements PipeTransform<unknown, string> {
    constructor(
      @Inject(TransitionRegistry) private readonly registry: TransitionRegistry,
      @Inject(TRANSITION_GUARD_OPTIONS) private readonly options: ResolvedTransitionGuardOptions,
    ) {}

    transform(value: unknown): string {
      return validId(this.registry.resource(resource), value, this.options.idPattern);
    }
  }
  return mixin(ResourceIdPipeForResource);
}
