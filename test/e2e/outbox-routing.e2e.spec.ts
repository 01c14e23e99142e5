import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  defineResource,
  MemoryOutboxStore,
  MemoryTransitionStore,
  OnTransition,
  TransitionGuardModule,
  TransitionOutbox,
  TransitionService,
  type TransitionDelivery,
} from '../../src/index.js';
import { lidMachine } from '../support/lid.machine.js';

/**
 * Which handlers a committed transition reaches: those of its resource only, even when another
 * resource has the same machine and events (a regression: handlers once matched on the event
 * alone, so a parcel's OPEN was delivered to the letters' handler).
 */

@Injectable()
class ParcelStore extends MemoryTransitionStore {}
@Injectable()
class LetterStore extends MemoryTransitionStore {}
const parcel = defineResource({ resource: 'parcel', machine: lidMachine, store: ParcelStore });
const letter = defineResource({ resource: 'letter', machine: lidMachine, store: LetterStore });

@Injectable()
class Mailroom {
  readonly opened: string[] = [];
  @OnTransition(letter, { event: 'OPEN' })
  letterOpened(delivery: TransitionDelivery) {
    this.opened.push(`${delivery.record.resource} ${delivery.record.resourceId}`);
  }
}

@Module({
  imports: [
    TransitionGuardModule.forRoot({ outbox: { store: MemoryOutboxStore, pollIntervalMs: 10 } }),
    TransitionGuardModule.forFeature([parcel, letter]),
  ],
  providers: [Mailroom],
})
class MailModule {}

it('delivers a transition to the handlers of its own resource only', async () => {
  const app = await NestFactory.createApplicationContext(MailModule, { logger: false });
  await app.init();
  try {
    app.get(ParcelStore).insert('1', { state: 'closed', context: {} });
    app.get(LetterStore).insert('1', { state: 'closed', context: {} });
    const transitions = app.get(TransitionService);
    await transitions.send(parcel, '1', 'OPEN');
    await transitions.send(letter, '1', 'OPEN');
    await app.get(TransitionOutbox).drain();
    expect(app.get(Mailroom).opened).toEqual(['letter 1']);
    expect(await app.get(TransitionOutbox).pending()).toEqual([]);
  } finally {
    await app.close();
  }
});
