import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import type { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { TRANSITION_METADATA, type TransitionMetadata } from '../definition/transition-metadata.js';

/** An HTTP route guarded by `@Transition()`: its method, its path (`/orders/:id/ship`), its metadata. */
export interface GuardedHttpRoute {
  /** `POST`, ... */
  readonly method: string;
  /** The full path, global prefix included, with `:id` style parameters. */
  readonly path: string;
  readonly meta: TransitionMetadata;
}

/**
 * Every HTTP route of the application's controllers with `@Transition()` metadata (on the method
 * or its class): what the bootstrap records for `inspect()` (the route of each event) and what
 * `describeTransitions()` documents. The one place that reads Nest's routing metadata.
 */
export function guardedHttpRoutes(
  tools: { discovery: DiscoveryService; scanner: MetadataScanner; reflector: Reflector },
  prefix: string,
): GuardedHttpRoute[] {
  const { discovery, scanner, reflector } = tools;
  const routes: GuardedHttpRoute[] = [];
  for (const wrapper of discovery.getControllers()) {
    const { metatype, instance } = wrapper as { metatype?: object; instance?: object };
    if (!metatype || !instance) continue;
    const onClass = reflector.get<TransitionMetadata | undefined>(
      TRANSITION_METADATA,
      metatype as never,
    );
    const base = reflector.get<string | string[] | undefined>(PATH_METADATA, metatype as never);
    const prototype = Object.getPrototypeOf(instance) as Record<
      string,
      (...args: never[]) => unknown
    >;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name];
      const meta =
        reflector.get<TransitionMetadata | undefined>(TRANSITION_METADATA, handler) ?? onClass;
      const methodPath = reflector.get<string | string[] | undefined>(PATH_METADATA, handler);
      const method = reflector.get<RequestMethod | undefined>(METHOD_METADATA, handler);
      if (!meta || methodPath === undefined || method === undefined) continue;
      const path = [prefix, first(base), first(methodPath)]
        .flatMap((p) => p.split('/'))
        .filter(Boolean)
        .join('/');
      routes.push({ method: RequestMethod[method], path: `/${path}`, meta });
    }
  }
  return routes;
}

const first = (p: string | string[] | undefined) => (Array.isArray(p) ? (p[0] ?? '') : (p ?? ''));
