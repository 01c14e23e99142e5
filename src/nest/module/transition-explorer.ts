import { Inject, Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { ApplicationConfig, DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { TransitionService } from '../commit/transition.service.js';
import { TRANSITION_METADATA, type TransitionMetadata } from '../definition/transition-metadata.js';
import {
  auditProblem,
  checkOnlyProblem,
  declarationProblem,
  guardCommitProblem,
  idPatternProblem,
} from './bootstrap-checks.js';
import { TRANSITION_GUARD_OPTIONS } from '../definition/module-definition.js';
import type { ResolvedTransitionGuardOptions } from '../definition/options.js';
import { TransitionRegistry } from '../definition/transition-registry.js';
import { guardedHttpRoutes } from './guarded-routes.js';

/**
 * Fails the application at bootstrap, naming the controller, the method and the fix, for what a
 * request would only find out later: a `@Transition()` on a resource nobody registered or an event
 * its machine never accepts, a route that can commit on a check-only resource, an `idPattern`
 * that no key of a store can match.
 */
@Injectable()
export class TransitionExplorer implements OnModuleInit {
  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TransitionRegistry) private readonly registry: TransitionRegistry,
    @Inject(TRANSITION_GUARD_OPTIONS) private readonly options: ResolvedTransitionGuardOptions,
    @Inject(ApplicationConfig) private readonly config: ApplicationConfig,
  ) {}

  onModuleInit(): void {
    const problems: string[] = [];
    // Controllers (HTTP routes, message handlers) and providers (GraphQL resolvers).
    const wrappers = [
      ...this.discovery.getControllers(),
      ...this.discovery.getProviders().filter((w) => !w.isNotMetatype),
    ];
    for (const wrapper of wrappers) {
      const { metatype, instance } = wrapper as { metatype?: Type; instance?: object };
      if (!metatype || !instance) continue;
      const injects = injectsService(wrapper, metatype.name);
      const check = (meta: TransitionMetadata, where: string) => {
        const problem = declarationProblem(this.registry, meta, where);
        const entry = this.registry.get(meta.resource);
        const late = entry && checkOnlyProblem(entry, meta, where, injects);
        const audit = entry && auditProblem(entry, meta, where);
        const commits = entry && !problem ? guardCommitProblem(entry, meta, where) : undefined;
        for (const p of [problem, ...(problem ? [] : [late, audit, commits])])
          if (p) problems.push(p);
      };
      const onClass = this.reflector.get<TransitionMetadata | undefined>(
        TRANSITION_METADATA,
        metatype,
      );
      if (onClass) check(onClass, `${metatype.name} (class)`);
      const prototype = Object.getPrototypeOf(instance) as Record<
        string,
        (...args: never[]) => unknown
      >;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const meta = this.reflector.get<TransitionMetadata | undefined>(
          TRANSITION_METADATA,
          prototype[method],
        );
        if (meta && meta !== onClass) check(meta, `${metatype.name}.${method}`);
      }
    }
    const { idPattern } = this.options;
    for (const name of idPattern ? this.registry.resources() : []) {
      const problem = idPattern && idPatternProblem(this.registry.resource(name), idPattern);
      if (problem) problems.push(problem);
    }
    // The route of each event, for inspect(): the fixed-event HTTP routes.
    const tools = { discovery: this.discovery, scanner: this.scanner, reflector: this.reflector };
    for (const { method, path, meta } of guardedHttpRoutes(tools, this.config.getGlobalPrefix())) {
      if (meta.event !== undefined)
        this.registry.addRoute(meta.resource, meta.event, { method, path });
    }
    if (problems.length) {
      throw new Error(
        `TransitionGuardModule: ${problems.length} problem(s) found at bootstrap:\n- ${problems.join('\n- ')}`,
      );
    }
  }
}

/**
 * Which of the controller's dependencies reaches `TransitionService` (the controller itself, or
 * a provider it injects, up to three levels deep), as a name for messages; undefined if none.
 */
function injectsService(wrapper: InstanceWrapper, name: string, depth = 0): string | undefined {
  if (depth > 3) return undefined;
  // Factories and values have no constructor metadata.
  const deps = (wrapper.getCtorMetadata() as InstanceWrapper[] | undefined) ?? [];
  for (const dep of deps) {
    if (dep.metatype === TransitionService || dep.token === TransitionService) return name;
    const via = injectsService(dep, String(dep.name), depth + 1);
    if (via) return depth === 0 && via !== name ? `${name} (through ${via})` : via;
  }
  return undefined;
}
