import { Inject, Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { TRANSITION_METADATA, type TransitionMetadata } from '../decorators/transition-metadata.js';
import { TransitionRegistry } from './transition-registry.js';

/**
 * Fails the application at bootstrap when a `@Transition()` names a resource nobody registered
 * or an event its machine never accepts, naming the controller, the method and the fix.
 */
@Injectable()
export class TransitionExplorer implements OnModuleInit {
  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TransitionRegistry) private readonly registry: TransitionRegistry,
  ) {}

  onModuleInit(): void {
    const problems: string[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const { metatype, instance } = wrapper as { metatype?: Type; instance?: object };
      if (!metatype || !instance) continue;
      const onClass = this.reflector.get<TransitionMetadata | undefined>(
        TRANSITION_METADATA,
        metatype,
      );
      if (onClass) this.validate(onClass, `${metatype.name} (class)`, problems);
      const prototype = Object.getPrototypeOf(instance) as Record<
        string,
        (...args: never[]) => unknown
      >;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const meta = this.reflector.get<TransitionMetadata | undefined>(
          TRANSITION_METADATA,
          prototype[method],
        );
        if (meta && meta !== onClass) this.validate(meta, `${metatype.name}.${method}`, problems);
      }
    }
    if (problems.length) {
      throw new Error(
        `TransitionGuardModule: ${problems.length} invalid @Transition() declaration(s):\n- ${problems.join('\n- ')}`,
      );
    }
  }

  private validate(meta: TransitionMetadata, where: string, problems: string[]): void {
    const decl = `@Transition('${meta.resource}'${meta.event === undefined ? '' : `, '${meta.event}'`}) on ${where}`;
    const entry = this.registry.get(meta.resource);
    if (!entry) {
      const known = this.registry.resources();
      problems.push(
        `${decl}: no resource '${meta.resource}' is registered (registered: ${known.join(', ') || 'none'}). ` +
          `Register it with TransitionGuardModule.forFeature([{ resource: '${meta.resource}', machine, store }]) or fix the name.`,
      );
      return;
    }
    if (meta.event !== undefined && !entry.validator.hasEvent(meta.event)) {
      problems.push(
        `${decl}: '${meta.event}' is not an event of machine '${entry.machine.id}' ` +
          `(events: ${entry.validator.events.join(', ')}). Fix the event name or add it to the machine.`,
      );
    }
  }
}
