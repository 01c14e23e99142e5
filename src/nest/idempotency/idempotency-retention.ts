import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  IDEMPOTENCY_STORE,
  type IdempotencyStore,
} from '../../store/idempotency-store.interface.js';
import { TRANSITION_GUARD_OPTIONS } from '../definition/module-definition.js';
import type { ResolvedTransitionGuardOptions } from '../definition/options.js';

/** A round deletes at most this many batches, so that one process never holds the table long. */
const BATCHES_PER_ROUND = 10;

/**
 * Deletes expired idempotency keys on a schedule (`idempotency.purge`: every `everySeconds`, in
 * batches of `batchSize`, at most ten batches a round), in every process of the application; a
 * store without `purge()` is left alone. A failed round is logged and tried again next time.
 */
@Injectable()
export class IdempotencyRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('IdempotencyRetention');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  /** @internal Nest injects it. */
  constructor(
    @Inject(TRANSITION_GUARD_OPTIONS) private readonly options: ResolvedTransitionGuardOptions,
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
  ) {}

  onApplicationBootstrap(): void {
    const { purge } = this.options.idempotency;
    if (!purge || !this.store.purge) return;
    this.timer = setInterval(() => {
      if (!this.running) {
        this.running = this.purge().finally(() => (this.running = undefined));
      }
    }, purge.everySeconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * Deletes keys expired by now, batch by batch (at most ten batches), returning how many; the
   * schedule calls it, a script may too. Failures are logged, never thrown.
   */
  async purge(): Promise<number> {
    const { store } = this;
    const batch = this.options.idempotency.purge ? this.options.idempotency.purge.batchSize : 1000;
    if (!store.purge) return 0;
    let total = 0;
    try {
      for (let round = 0; round < BATCHES_PER_ROUND; round++) {
        const deleted = await store.purge(new Date(), batch);
        total += deleted;
        if (deleted < batch) break;
      }
    } catch (err) {
      this.logger.warn(
        `Purging expired idempotency keys failed (tried again in the next round): ${(err as Error).message}`,
      );
    }
    if (total) this.logger.debug(`Purged ${total} expired idempotency keys`);
    return total;
  }
}
