import 'reflect-metadata';
import { Controller, Injectable, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientsModule,
  EventPattern,
  Payload,
  Transport,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import {
  defineResource,
  MemoryOutboxStore,
  MemoryTransitionStore,
  TransitionGuardModule,
  TransitionOutbox,
  TransitionService,
  type TransitionEnvelope,
} from '../../src/index.js';
import { freePort } from '../support/broker-servers.js';
import { lidMachine } from '../support/lid.machine.js';

/**
 * `outbox.publish` options, over Nest's TCP transport (a real `ClientProxy` and microservice; the
 * broker suites run Redis and NATS): `event` narrows a destination to some events, `pattern`
 * names what it emits on; nothing goes out before the relay delivers, and once.
 */

@Injectable()
class LidStore extends MemoryTransitionStore {}
const lid = defineResource({ resource: 'lid', machine: lidMachine, store: LidStore });

const received: { pattern: string; envelope: TransitionEnvelope }[] = [];

@Controller()
class Watcher {
  @EventPattern('lids.open')
  opened(@Payload() envelope: TransitionEnvelope) {
    received.push({ pattern: 'lids.open', envelope });
  }

  @EventPattern('lids.close')
  closed(@Payload() envelope: TransitionEnvelope) {
    received.push({ pattern: 'lids.close', envelope });
  }
}

@Module({ controllers: [Watcher] })
class WatcherModule {}

describe('outbox.publish: event and pattern', () => {
  let watcher: INestMicroservice;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    watcher = await NestFactory.createMicroservice<MicroserviceOptions>(WatcherModule, {
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
      logger: false,
    });
    await watcher.listen();
  });
  afterAll(async () => {
    await watcher.close();
  });

  it('emits the events asked for, on the pattern given, after the relay delivers', async () => {
    @Module({
      imports: [
        ClientsModule.register([
          { name: 'LIDS', transport: Transport.TCP, options: { host: '127.0.0.1', port } },
        ]),
        TransitionGuardModule.forRoot({
          outbox: {
            store: MemoryOutboxStore,
            relay: false,
            publish: [
              {
                client: 'LIDS',
                resource: lid,
                event: 'OPEN',
                pattern: (e) => `lids.${e.event.toLowerCase()}`,
              },
            ],
          },
        }),
        TransitionGuardModule.forFeature([lid]),
      ],
    })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    await app.init();
    try {
      app.get(LidStore).insert('7', { state: 'closed', context: {} });
      const transitions = app.get(TransitionService);
      const opened = await transitions.send(lid, '7', 'OPEN');
      await transitions.send(lid, '7', 'CLOSE');
      expect(received).toEqual([]); // nothing before the relay delivers
      const round = await app.get(TransitionOutbox).drain();
      expect(round).toMatchObject({ delivered: 1, retried: 0, dead: 0 });
      for (let i = 0; i < 100 && received.length < 1; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      // OPEN only (CLOSE is not among the destination's events), on the pattern's name.
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({
        pattern: 'lids.open',
        envelope: {
          type: 'lid.OPEN',
          subject: '7',
          version: opened.version,
          from: 'closed',
          to: 'open',
        },
      });
      expect(await app.get(TransitionOutbox).drain()).toMatchObject({ claimed: 0 });
      await new Promise((r) => setTimeout(r, 50));
      expect(received).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
