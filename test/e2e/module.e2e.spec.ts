import {
  Controller,
  Header,
  HttpCode,
  Inject,
  Injectable,
  Module,
  Post,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import {
  CurrentTransition,
  defineResource,
  Transition,
  TransitionGuard,
  TransitionGuardModule,
  MemoryIdempotencyStore,
  type TransitionGuardOptions,
} from '../../src/index.js';
import { TransitionRegistry } from '../../src/nest/definition/transition-registry.js';
import { resolveOptions } from '../../src/nest/definition/options.js';
import { TransitionExchange } from '../../src/nest/commit/transition-exchange.js';
import { knownCallOf } from '../../src/nest/request/transport-call.js';
import { DoorLoader, DoorStore, doorMachine, listen, PLATFORMS } from './module-harness.js';

@Injectable()
class InjectableDoorLoader extends DoorLoader {
  constructor(@Inject(DoorStore) store: DoorStore) {
    super(store);
  }
}

const door = defineResource({
  resource: 'door',
  machine: doorMachine,
  loader: InjectableDoorLoader,
});

@Module({ providers: [DoorStore], exports: [DoorStore] })
class StoreModule {}

class PassThrough implements NestInterceptor {
  intercept(_ctx: ExecutionContext, next: CallHandler) {
    return next.handle();
  }
}

@Controller('doors')
class DoorsController {
  @Post(':id/open')
  @HttpCode(200)
  @Header('X-Door', 'yes')
  @Transition(door, 'OPEN')
  @UseInterceptors(PassThrough)
  open(@CurrentTransition() t: CurrentTransition) {
    return t;
  }

  @Post('by-header/close')
  @HttpCode(200)
  @Transition('door', 'CLOSE', { id: { header: 'X-Door-Id' } })
  closeByHeader(@CurrentTransition() t: CurrentTransition) {
    return t;
  }

  @Post('by-query/close')
  @HttpCode(200)
  @Transition('door', 'CLOSE', { id: (req) => req.query?.door })
  closeByFunction(@CurrentTransition() t: CurrentTransition) {
    return t;
  }

  @Post(':doorId/lock')
  @HttpCode(200)
  @Transition('door', 'LOCK', { id: 'doorId' })
  lock() {
    return { locked: true };
  }
}

@Controller('class-guarded/:id')
@Transition('door')
class ClassGuardedController {
  @Post('events')
  @HttpCode(200)
  send(@CurrentTransition() t: CurrentTransition) {
    return { event: t.event, to: t.to };
  }
}

function appModule(root: ReturnType<typeof TransitionGuardModule.forRoot>, extra: object[] = []) {
  @Module({
    imports: [
      root,
      StoreModule,
      TransitionGuardModule.forFeature([door], { imports: [StoreModule] }),
    ],
    controllers: [DoorsController, ClassGuardedController],
    providers: extra as never,
  })
  class AppModule {}
  return AppModule;
}

describe.each(PLATFORMS)('TransitionGuardModule on %s', (platform) => {
  it('guards routes, reads ids from params, headers and functions, keeps other decorators', async () => {
    const { app, http } = await listen(appModule(TransitionGuardModule.forRoot({})), platform);
    try {
      const ok = await http().post('/doors/1/open').set('X-Request-Id', 'req-1').expect(200);
      expect(ok.headers['x-door']).toBe('yes');
      expect(ok.body).toEqual({
        resource: 'door',
        id: '1',
        event: 'OPEN',
        from: 'closed',
        to: 'open',
        payload: {},
        context: { locked: false },
        version: 1,
        actor: null,
        correlationId: 'req-1',
      });
      await http().post('/doors/3/open').expect(409);
      expect(
        (await http().post('/doors/by-header/close').set('X-Door-Id', '2').expect(200)).body.from,
      ).toBe('open');
      expect((await http().post('/doors/by-query/close?door=2').expect(200)).body.id).toBe('2');
      await http().post('/doors/by-query/close').expect(400);
      expect(
        (await http().post('/class-guarded/2/events').send({ type: 'CLOSE' }).expect(200)).body,
      ).toEqual({ event: 'CLOSE', to: 'closed' });
      await http().post('/class-guarded/1/events').send({ type: 'CLOSE' }).expect(409);
    } finally {
      await app.close();
    }
  });

  it('runs the check once when the guard is also registered globally as APP_GUARD', async () => {
    const { app, http } = await listen(
      appModule(TransitionGuardModule.forRoot({}), [
        { provide: APP_GUARD, useClass: TransitionGuard },
      ]),
      platform,
    );
    try {
      const store = app.get(DoorStore);
      const before = store.loads;
      await http().post('/doors/1/open').expect(200);
      expect(store.loads - before).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('answers 500 with a generic body when a guard throws, and 500 when the loader throws', async () => {
    const { app, http } = await listen(appModule(TransitionGuardModule.forRoot({})), platform);
    try {
      const res = await http().post('/doors/1/lock').expect(500);
      expect(res.body).toEqual({ statusCode: 500, message: 'Internal Server Error' });
      const store = app.get(DoorStore);
      store.doors.get = () => {
        throw new Error('connection refused');
      };
      const failed = await http().post('/doors/1/open').expect(500);
      expect(JSON.stringify(failed.body)).not.toContain('connection refused');
    } finally {
      await app.close();
    }
  });
});

describe('forRootAsync', () => {
  @Injectable()
  class OptionsFactory {
    createTransitionGuardOptions(): TransitionGuardOptions {
      return { problemDetails: true };
    }
  }
  @Module({ providers: [OptionsFactory], exports: [OptionsFactory] })
  class OptionsModule {}

  it.each([
    [
      'useFactory',
      TransitionGuardModule.forRootAsync({ useFactory: () => ({ problemDetails: true }) }),
    ],
    [
      'useFactory with inject',
      TransitionGuardModule.forRootAsync({
        imports: [OptionsModule],
        inject: [OptionsFactory],
        useFactory: (f: OptionsFactory) => f.createTransitionGuardOptions(),
      }),
    ],
    ['useClass', TransitionGuardModule.forRootAsync({ useClass: OptionsFactory })],
    [
      'useExisting',
      TransitionGuardModule.forRootAsync({ imports: [OptionsModule], useExisting: OptionsFactory }),
    ],
  ])('takes options from %s', async (_label, root) => {
    const { app, http } = await listen(appModule(root), 'express');
    try {
      const res = await http().post('/doors/3/open').expect(409);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    } finally {
      await app.close();
    }
  });
});

describe('fail fast at bootstrap', () => {
  const boot = async (controller: new () => unknown, options: TransitionGuardOptions = {}) => {
    @Module({
      imports: [
        TransitionGuardModule.forRoot(options),
        StoreModule,
        TransitionGuardModule.forFeature([door], { imports: [StoreModule] }),
      ],
      controllers: [controller],
    })
    class BrokenModule {}
    const app = await NestFactory.create(BrokenModule, { logger: false, abortOnError: false });
    try {
      await app.init();
    } finally {
      await app.close().catch(() => undefined);
    }
  };

  it('stops on an unknown resource, naming the controller, the method and the fix', async () => {
    @Controller('x')
    class TypoController {
      @Post(':id/open')
      @Transition('dor', 'OPEN')
      open() {}
    }
    await expect(boot(TypoController)).rejects.toThrow(
      /@Transition\('dor', 'OPEN'\) on TypoController\.open: no resource 'dor' is registered \(registered: door\)\. Register it with TransitionGuardModule\.forFeature/,
    );
  });

  it('stops on an event the machine never accepts', async () => {
    @Controller('y')
    class EventTypoController {
      @Post(':id/open')
      @Transition('door', 'OPNE')
      open() {}
    }
    await expect(boot(EventTypoController)).rejects.toThrow(
      /on EventTypoController\.open: 'OPNE' is not an event of machine 'door' \(events: OPEN, LOCK, CLOSE\)\. Fix the event name/,
    );
  });

  it('stops on invalid options, naming the field', async () => {
    @Controller('z')
    class FineController {}
    await expect(boot(FineController, { idPattern: 'digits' as never })).rejects.toThrow(
      /idPattern: idPattern must be a RegExp/,
    );
  });
});

describe('non-HTTP contexts', () => {
  const handler = DoorsController.prototype.open;
  const rpcContext = () => {
    const ctx = new ExecutionContextHost([{ id: '1' }, {}], DoorsController, handler);
    ctx.setType('rpc');
    return ctx;
  };
  const registry = new TransitionRegistry();
  registry.register(door, { loader: new DoorLoader(new DoorStore()) });

  it('reads a message: the id from its data, the transition for the handler', async () => {
    const guard = new TransitionGuard(
      new Reflector(),
      registry,
      resolveOptions({}),
      new MemoryIdempotencyStore(),
    );
    const ctx = rpcContext();
    await expect(guard.canActivate(ctx)).resolves.toBe(true);
    const transition = TransitionExchange.ofRequest(knownCallOf(ctx))?.transition;
    expect(transition).toMatchObject({ resource: 'door', id: '1', event: 'OPEN' });
  });

  it('names the handler and the fix for a context it does not read (WebSockets)', async () => {
    const guard = new TransitionGuard(
      new Reflector(),
      registry,
      resolveOptions({}),
      new MemoryIdempotencyStore(),
    );
    const ctx = new ExecutionContextHost([{}, { id: '1' }], DoorsController, handler);
    ctx.setType('ws');
    await expect(guard.canActivate(ctx)).rejects.toThrow(
      /@Transition\(\) on DoorsController\.open was reached from a 'ws' context.*override getRequest\(\)/,
    );
  });

  it('works through a subclass that overrides getRequest', async () => {
    class RpcTransitionGuard extends TransitionGuard {
      protected override getRequest(context: ExecutionContext) {
        const data = context.switchToRpc().getData();
        return { params: { id: data.id }, headers: {}, body: {} };
      }
    }
    const guard = new RpcTransitionGuard(
      new Reflector(),
      registry,
      resolveOptions({}),
      new MemoryIdempotencyStore(),
    );
    await expect(guard.canActivate(rpcContext())).resolves.toBe(true);
  });
});
