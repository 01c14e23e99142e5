import { Controller, HttpCode, Inject, Injectable, Module, Post } from '@nestjs/common';
import {
  CurrentTransition,
  defineResource,
  MemoryIdempotencyStore,
  Transition,
  TransitionGuardModule,
} from '../../src/index.js';
import { IDEMPOTENCY_STORE } from '../../src/store/idempotency-store.interface.js';
import { DoorLoader, DoorStore, doorMachine, listen, PLATFORMS } from './module-harness.js';

@Injectable()
class Loader extends DoorLoader {
  constructor(@Inject(DoorStore) store: DoorStore) {
    super(store);
  }
}
const door = defineResource({ resource: 'door', machine: doorMachine, loader: Loader });

@Controller('doors/:id')
class StrictDoorsController {
  @Post('open')
  @HttpCode(200)
  @Transition(door, 'OPEN', { ifMatch: 'required', idempotency: true })
  open(@CurrentTransition() t: CurrentTransition) {
    return { to: t.to, at: Date.now() };
  }
}

@Module({ providers: [DoorStore], exports: [DoorStore] })
class StoreModule {}

@Module({
  imports: [
    TransitionGuardModule.forRoot({ getActor: () => 'ann', idempotency: { ttlSeconds: 1 } }),
    StoreModule,
    TransitionGuardModule.forFeature([door], { imports: [StoreModule] }),
  ],
  controllers: [StrictDoorsController],
})
class StrictModule {}

describe.each(PLATFORMS)('required If-Match and key expiry on %s', (platform) => {
  it('answers 428 without If-Match, and forgets keys after ttlSeconds', async () => {
    const { app, http } = await listen(StrictModule, platform);
    try {
      const res = await http().post('/doors/1/open').expect(428);
      expect(res.body).toMatchObject({
        statusCode: 428,
        code: 'PRECONDITION_REQUIRED',
        resource: 'door',
        id: '1',
      });
      const first = await http()
        .post('/doors/1/open')
        .set('If-Match', '"v1"')
        .set('Idempotency-Key', 'k1')
        .expect(200);
      const replay = await http()
        .post('/doors/1/open')
        .set('If-Match', '"v1"')
        .set('Idempotency-Key', 'k1')
        .expect(200);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(first.body);
      expect(app.get(IDEMPOTENCY_STORE)).toBeInstanceOf(MemoryIdempotencyStore);
      await new Promise((r) => setTimeout(r, 1100));
      const fresh = await http()
        .post('/doors/1/open')
        .set('If-Match', '"v1"')
        .set('Idempotency-Key', 'k1')
        .expect(200);
      expect(fresh.headers['idempotent-replayed']).toBeUndefined();
      expect(fresh.body.at).toBeGreaterThan(first.body.at);
    } finally {
      await app.close();
    }
  });
});
