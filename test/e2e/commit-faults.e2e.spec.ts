import { Controller, HttpCode, Inject, Injectable, Module, Post } from '@nestjs/common';
import { createMachine } from 'xstate';
import {
  CurrentTransition,
  defineResource,
  MemoryTransitionStore,
  Transition,
  TransitionGuardModule,
  TransitionService,
} from '../../src/index.js';
import { listen, PLATFORMS } from './module-harness.js';

const lamp = createMachine({
  id: 'lamp',
  initial: 'off',
  states: { off: { on: { ON: 'on' } }, on: { on: { OFF: 'off' } } },
});

@Injectable()
class LampStore extends MemoryTransitionStore<{ watts: number }> {
  constructor() {
    super();
    this.insert('1', { state: 'off', context: { watts: 0 } });
  }
}
const lampResource = defineResource({ resource: 'lamp', machine: lamp, store: LampStore });

@Controller('lamps/:id')
class LampsController {
  constructor(@Inject(TransitionService) private readonly transitions: TransitionService) {}

  @Post('on')
  @HttpCode(200)
  @Transition(lampResource, 'ON')
  on(@CurrentTransition() t: CurrentTransition) {
    return this.transitions.commit(t, { watts: 60 });
  }

  @Post('on-then-crash')
  @Transition(lampResource, 'ON')
  crash() {
    throw new Error('handler bug after the guard passed');
  }

  @Post('on-with-bad-changes')
  @Transition(lampResource, 'ON')
  badChanges(@CurrentTransition() t: CurrentTransition) {
    return this.transitions.commit(t, { state: 'on' });
  }
}

@Module({
  imports: [TransitionGuardModule.forRoot({}), TransitionGuardModule.forFeature([lampResource])],
  controllers: [LampsController],
})
class LampModule {}

describe.each(PLATFORMS)('faults around commit on %s', (platform) => {
  it('changes nothing when the handler throws, when changes touch the state, or when a hook refuses', async () => {
    const { app, http } = await listen(LampModule, platform);
    try {
      const store = app.get(LampStore);
      const unchanged = () => {
        expect(store.rows.get('1')).toEqual({ state: 'off', version: 0, context: { watts: 0 } });
      };
      const crashed = await http().post('/lamps/1/on-then-crash').expect(500);
      expect(crashed.body).toEqual({ statusCode: 500, message: 'Internal server error' });
      unchanged();
      await http().post('/lamps/1/on-with-bad-changes').expect(500);
      unchanged();
      const off = app.get(TransitionService).onTransition({
        beforeCommit: () => {
          throw new Error('audit table full');
        },
      });
      await http().post('/lamps/1/on').expect(500);
      unchanged();
      expect(store.log).toEqual([]);
      off();
      expect((await http().post('/lamps/1/on').expect(200)).body).toMatchObject({
        to: 'on',
        version: 1,
        attempts: 1,
      });
      expect(store.rows.get('1')).toEqual({ state: 'on', version: 1, context: { watts: 60 } });
    } finally {
      await app.close();
    }
  });
});
