import 'reflect-metadata';
import { Injectable, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CqrsModule, EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import {
  defineResource,
  MemoryOutboxStore,
  MemoryTransitionStore,
  TransitionGuardModule,
  TransitionOutbox,
  TransitionService,
} from '../../src/index.js';
import { lidMachine } from '../support/lid.machine.js';
import { cqrsBridge } from '../../src/bridges/cqrs.js';
import { eventEmitterBridge, TransitionCommitted } from '../../src/bridges/event-emitter.js';

/**
 * The optional bridges: committed transitions published to `@nestjs/event-emitter` and to the
 * `@nestjs/cqrs` EventBus through the transactional outbox: after the commit, once per
 * transition (again only when a delivery failed), never for a transition that did not commit.
 */

@Injectable()
class LetterStore extends MemoryTransitionStore {}
const letter = defineResource({ resource: 'letter', machine: lidMachine, store: LetterStore });

@Injectable()
class Listener {
  readonly opened: TransitionCommitted[] = [];
  failNext = 0;
  // suppressErrors: false, else @nestjs/event-emitter logs a listener's error and swallows it.
  @OnEvent('transition.letter.OPEN', { suppressErrors: false })
  onOpen(event: TransitionCommitted) {
    this.opened.push(event);
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('mailbox full');
    }
  }
}

@EventsHandler(TransitionCommitted)
class Journal implements IEventHandler<TransitionCommitted> {
  readonly seen: string[] = [];
  handle(event: TransitionCommitted) {
    this.seen.push(`${event.record.resource} ${event.record.resourceId} ${event.record.event}`);
  }
}

async function start(imports: unknown[], providers: Type[]) {
  @Module({
    imports: [
      ...(imports as Type[]),
      TransitionGuardModule.forRoot({
        // A failed delivery is due again 200 ms later: never within the same drain().
        outbox: { store: MemoryOutboxStore, relay: false, backoff: { baseMs: 200, maxMs: 200 } },
      }),
      TransitionGuardModule.forFeature([letter]),
    ],
    providers,
  })
  class AppModule {}
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  await app.init();
  app.get(LetterStore).insert('1', { state: 'closed', context: {} });
  app.get(LetterStore).insert('2', { state: 'closed', context: {} });
  return app;
}

describe('the event-emitter bridge', () => {
  it('emits transition.<resource>.<event> after the commit, once, with the record and payload', async () => {
    const app = await start([EventEmitterModule.forRoot()], [eventEmitterBridge(letter), Listener]);
    try {
      const committed = await app.get(TransitionService).send(letter, '1', 'OPEN');
      const listener = app.get(Listener);
      expect(listener.opened).toEqual([]); // nothing before the relay delivers
      await app.get(TransitionOutbox).drain();
      expect(listener.opened).toHaveLength(1);
      const [event] = listener.opened;
      expect(event).toBeInstanceOf(TransitionCommitted);
      expect(event.name).toBe('transition.letter.OPEN');
      expect(event.record).toMatchObject({ resourceId: '1', from: 'closed', to: 'open' });
      expect(event.record.version).toBe(committed.version);
      await app.get(TransitionOutbox).drain();
      expect(listener.opened).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('retries the delivery when a listener throws, and emits nothing for a transition that did not commit', async () => {
    const app = await start([EventEmitterModule.forRoot()], [eventEmitterBridge(letter), Listener]);
    try {
      const transitions = app.get(TransitionService);
      const listener = app.get(Listener);
      const outbox = app.get(TransitionOutbox);
      listener.failNext = 1;
      await transitions.send(letter, '1', 'OPEN');
      await outbox.drain();
      expect(listener.opened).toHaveLength(1);
      expect(await outbox.pending()).toHaveLength(1); // failed: pending again, after its backoff
      await new Promise((r) => setTimeout(r, 250));
      await outbox.drain();
      expect(listener.opened).toHaveLength(2);
      expect(listener.opened[1].transitionId).toBe(listener.opened[0].transitionId);
      expect(await outbox.pending()).toEqual([]);
      expect(await outbox.deadLetters()).toEqual([]);
      // A commit that rolls back (a beforeCommit hook refuses it): no message, no event.
      const off = transitions.onTransition({
        resource: 'letter',
        beforeCommit: () => {
          throw new Error('refused');
        },
      });
      await expect(transitions.send(letter, '2', 'OPEN')).rejects.toThrow('Internal Server Error');
      expect(await app.get(LetterStore).load('2')).toMatchObject({ state: 'closed' });
      off();
      await outbox.drain();
      expect(listener.opened.map((e) => e.record.resourceId)).toEqual(['1', '1']);
    } finally {
      await app.close();
    }
  });

  it('stops the app at bootstrap when the bridged resource is not registered', async () => {
    await expect(
      start([EventEmitterModule.forRoot()], [eventEmitterBridge('parcel'), Listener]),
    ).rejects.toThrow(
      /@OnTransition\('parcel'\) on EventEmitterBridge\(parcel\)\.deliver: no resource 'parcel'/,
    );
  });
});

describe('the CQRS bridge', () => {
  it('publishes a TransitionCommitted on the EventBus after the commit, once', async () => {
    const app = await start(
      [CqrsModule.forRoot()],
      [cqrsBridge(letter, { event: 'OPEN' }), Journal],
    );
    try {
      const transitions = app.get(TransitionService);
      await transitions.send(letter, '1', 'OPEN');
      await transitions.send(letter, '1', 'CLOSE'); // not bridged: the filter names OPEN
      expect(app.get(Journal).seen).toEqual([]);
      await app.get(TransitionOutbox).drain();
      await new Promise((r) => setImmediate(r)); // the EventBus calls handlers asynchronously
      expect(app.get(Journal).seen).toEqual(['letter 1 OPEN']);
      await app.get(TransitionOutbox).drain();
      await new Promise((r) => setImmediate(r));
      expect(app.get(Journal).seen).toEqual(['letter 1 OPEN']);
    } finally {
      await app.close();
    }
  });
});
