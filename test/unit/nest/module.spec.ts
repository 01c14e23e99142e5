import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createMachine } from 'xstate';
import {
  defineResource,
  MemoryIdempotencyStore,
  MemoryTransitionStore,
  TransitionGuardModule,
  TransitionService,
} from '../../../src/index.js';
import { IDEMPOTENCY_STORE } from '../../../src/store/idempotency-store.interface.js';
import { TRANSITION_GUARD_OPTIONS } from '../../../src/nest/definition/module-definition.js';
import { type ResolvedTransitionGuardOptions } from '../../../src/nest/definition/options.js';

const lamp = createMachine({
  id: 'lamp',
  initial: 'off',
  states: { off: { on: { ON: 'on' } }, on: {} },
});

@Injectable()
class LampStore extends MemoryTransitionStore<{ watts: number }> {
  constructor() {
    super();
    this.insert('1', { state: 'off', context: { watts: 0 } });
  }
}
const lampResource = defineResource({ resource: 'lamp', machine: lamp, store: LampStore });

async function boot(imports: unknown[]) {
  @Module({ imports: imports as never })
  class AppModule {}
  const app = await NestFactory.createApplicationContext(AppModule, {
    logger: false,
    abortOnError: false,
  });
  return app;
}

describe('TransitionGuardModule wiring', () => {
  it.each([
    ['forRoot', TransitionGuardModule.forRoot({ commit: { maxRetries: 7 } })],
    [
      'forRootAsync',
      TransitionGuardModule.forRootAsync({ useFactory: () => ({ commit: { maxRetries: 7 } }) }),
    ],
  ])('%s: the options given are the options every provider uses', async (_name, root) => {
    const app = await boot([root, TransitionGuardModule.forFeature([lampResource])]);
    try {
      const options = app.get<ResolvedTransitionGuardOptions>(TRANSITION_GUARD_OPTIONS);
      expect(options.commit.maxRetries).toBe(7);
      // The service commits with them: a row that keeps moving is retried 7 times, then 409.
      const store = app.get(LampStore);
      let attempts = 0;
      store.compareAndSet = () => {
        attempts++;
        return Promise.resolve({ written: false as const });
      };
      const service = app.get(TransitionService);
      await expect(
        service.commit({
          resource: 'lamp',
          id: '1',
          event: 'ON',
          from: 'off',
          to: 'on',
          payload: {},
          context: { watts: 0 },
          version: 0,
          actor: null,
        }),
      ).rejects.toMatchObject({
        body: { reason: 'stale-state', message: expect.stringContaining('8 attempts') },
      });
      expect(attempts).toBe(8);
      expect(app.get(IDEMPOTENCY_STORE)).toBeInstanceOf(MemoryIdempotencyStore);
    } finally {
      await app.close();
    }
  });

  it('fails at bootstrap, naming the fix, when forFeature has no forRoot', async () => {
    await expect(boot([TransitionGuardModule.forFeature([lampResource])])).rejects.toThrow(
      "TransitionGuardModule.forFeature(['lamp']) needs TransitionGuardModule.forRoot() (or forRootAsync()) imported once, in the application's root module.",
    );
  });

  it('fails at bootstrap on an option it does not know', async () => {
    await expect(
      boot([TransitionGuardModule.forRoot({ isGlobal: false } as never)]),
    ).rejects.toThrow(
      /invalid options:\n- isGlobal: the module is always global \(one registry per application, which every forFeature\(\) registers into\); remove the option/,
    );
  });

  it('fails at bootstrap on an outbox.notify that is not a PostgreSQL connection string', async () => {
    await expect(
      boot([
        TransitionGuardModule.forRoot({
          outbox: { notify: { url: 'mysql://db/orders', channel: 'Outbox-Wake' } },
        }),
      ]),
    ).rejects.toThrow(
      /invalid options:\n- outbox\.notify\.url: a postgres:\/\/ connection string\n- outbox\.notify\.channel: a lowercase identifier/,
    );
  });
});
