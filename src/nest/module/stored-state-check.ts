import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { lockMachine, UnknownStateError } from '../../core/index.js';
import type { StateCount } from '../../store/transition-store.interface.js';
import { TRANSITION_GUARD_OPTIONS } from '../definition/module-definition.js';
import type { ResolvedTransitionGuardOptions } from '../definition/options.js';
import type { RegisteredResource } from '../definition/transition-registry.js';
import { TransitionRegistry } from '../definition/transition-registry.js';
import { messages } from '../errors/messages.js';

/** The rows of a resource in states its machine does not have. */
export function unknownStates(
  entry: RegisteredResource,
  counts: readonly StateCount[],
): StateCount[] {
  return counts.filter((c) => {
    try {
      entry.validator.normalizeState(c.state);
      return false;
    } catch (err) {
      if (err instanceof UnknownStateError) return true;
      throw err;
    }
  });
}

/**
 * The stored-state check (option `storedStates`): at bootstrap, each resource's rows counted per
 * state and compared with its machine. Rows in states the machine lacks stop the start in
 * production (the error names the states, the counts and the migrate command), else are logged.
 * A store that cannot count (down at start) is logged and skipped: its requests answer 503.
 */
@Injectable()
export class StoredStateCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('TransitionGuard');

  constructor(
    @Inject(TransitionRegistry) private readonly registry: TransitionRegistry,
    @Inject(TRANSITION_GUARD_OPTIONS) private readonly options: ResolvedTransitionGuardOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const mode =
      this.options.storedStates ?? (process.env.NODE_ENV === 'production' ? 'refuse' : 'warn');
    if (mode === 'off') return;
    const problems: string[] = [];
    await Promise.all(
      this.registry.resources().map(async (resource) => {
        const entry = this.registry.get(resource);
        const store = entry?.store;
        if (!entry || !store?.countStates) return;
        let counts: readonly StateCount[];
        try {
          counts = await store.countStates();
        } catch (err) {
          this.logger.warn(
            messages.storedStatesUncounted(
              resource,
              err instanceof Error ? err.message : String(err),
            ),
          );
          return;
        }
        await this.checkTrigger(resource, entry);
        const unknown = unknownStates(entry, counts);
        if (unknown.length) {
          problems.push(
            messages.unknownStoredStates(resource, entry.machine.id, unknown, mode === 'refuse'),
          );
        }
      }),
    );
    if (!problems.length) return;
    if (mode === 'refuse') throw new Error(problems.join('\n'));
    for (const p of problems) this.logger.warn(p);
  }

  /** Warns when the table's machine trigger was built from another version of the machine. */
  private async checkTrigger(resource: string, entry: RegisteredResource): Promise<void> {
    const installed = await entry.store?.installedTriggerHash?.().catch(() => undefined);
    if (!installed) return;
    const current = lockMachine(entry.machine).hash;
    if (installed !== current) {
      this.logger.warn(messages.staleTrigger(resource, entry.machine.id, installed, current));
    }
  }
}
