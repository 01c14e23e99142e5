import 'reflect-metadata';
import { Controller, Inject, Injectable, Module, Post, type Provider } from '@nestjs/common';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { createMachine, setup } from 'xstate';
import { z } from 'zod';
import {
  defineResource,
  OnTransition,
  Transition,
  TransitionGuardModule,
  TransitionService,
  type StateLoader,
  type TransitionGuardOptions,
} from '../../src/index.js';
import {
  HandledTransitionEntry,
  TransitionOutboxEntry,
  TypeOrmIdempotencyStore,
  TypeOrmOutboxStore,
  TypeOrmTransitionStore,
} from '../../src/store/typeorm/index.js';

/** Misconfigurations a request would only find later: each stops app.init() with its fix. */
@Entity({ name: 'users' })
class User {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 20, default: 'active' })
  status!: string;

  @Column({ type: 'integer', default: 0 })
  version!: number;
}

const userMachine = createMachine({
  id: 'user',
  initial: 'active',
  states: { active: { on: { SUSPEND: 'suspended' } }, suspended: { on: { REACTIVATE: 'active' } } },
});

function userStore(options: { log?: boolean; stateProperty?: string } = {}) {
  @Injectable()
  class UserStore extends TypeOrmTransitionStore<User> {
    constructor(@Inject(DataSource) dataSource: DataSource) {
      super(dataSource, {
        entity: User,
        stateProperty: (options.stateProperty ?? 'status') as 'status',
        versionProperty: 'version',
        log: options.log ?? false,
      });
    }
  }
  return UserStore;
}

@Injectable()
class UserLoader implements StateLoader {
  load() {
    return Promise.resolve({ state: 'active' });
  }
}

@Injectable()
class UsersService {
  constructor(@Inject(TransitionService) readonly transitions: TransitionService) {}
}

@Controller('users')
class CommittingController {
  constructor(@Inject(UsersService) readonly users: UsersService) {}

  @Post(':id/suspend')
  @Transition('user', 'SUSPEND')
  suspend() {}
}

@Controller('users')
class CheckOnlyController {
  constructor(@Inject(UsersService) readonly users: UsersService) {}

  @Post(':id/suspend')
  @Transition('user', 'SUSPEND', { checkOnly: true })
  suspend() {}
}

async function boot(parts: {
  entities: (new () => object)[];
  resource: Parameters<typeof defineResource>[0];
  controllers?: (new (...args: never[]) => unknown)[];
  providers?: (new (...args: never[]) => unknown)[];
  /** Providers by token (a ClientProxy for `outbox.publish`). */
  values?: Provider[];
  options?: TransitionGuardOptions;
}) {
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'better-sqlite3',
        database: ':memory:',
        entities: parts.entities,
        synchronize: true,
      }),
      TransitionGuardModule.forRoot(parts.options ?? {}),
      TransitionGuardModule.forFeature([parts.resource]),
    ],
    controllers: parts.controllers ?? [],
    providers: [UsersService, ...(parts.providers ?? []), ...(parts.values ?? [])],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  try {
    await app.init();
  } finally {
    await app.close().catch(() => undefined);
  }
}

describe('bootstrap errors that name the fix', () => {
  it('log: true without the log entity registered', async () => {
    await expect(
      boot({
        entities: [User],
        resource: { resource: 'user', machine: userMachine, store: userStore({ log: true }) },
      }),
    ).rejects.toThrow(
      /TypeOrmTransitionStore 'User': log: true writes TransitionLogEntry rows, but TransitionLogEntry is not one of the DataSource's entities\. Add it: import \{ TransitionLogEntry \} from 'nestjs-transition-guard\/typeorm'.*autoLoadEntities: true, TypeOrmModule\.forFeature\(\[TransitionLogEntry\]\)/,
    );
  });

  it('a store naming a property its entity does not have', async () => {
    await expect(
      boot({
        entities: [User],
        resource: {
          resource: 'user',
          machine: userMachine,
          store: userStore({ stateProperty: 'state' }),
        },
      }),
    ).rejects.toThrow(
      "TypeOrmTransitionStore 'User': entity User has no column property 'state' (columns: id, status, version)",
    );
  });

  it('the idempotency store without its entity', async () => {
    await expect(
      boot({
        entities: [User],
        resource: { resource: 'user', machine: userMachine, store: userStore() },
        options: { idempotency: { store: TypeOrmIdempotencyStore } },
      }),
    ).rejects.toThrow(
      /TypeOrmIdempotencyStore keeps keys in IdempotencyKeyEntry rows, but IdempotencyKeyEntry is not one of the DataSource's entities/,
    );
  });

  it('a route whose controller can commit, on a resource registered with a loader only', async () => {
    await expect(
      boot({
        entities: [User],
        resource: { resource: 'user', machine: userMachine, loader: UserLoader },
        controllers: [CommittingController],
      }),
    ).rejects.toThrow(
      "@Transition('user') on CommittingController.suspend: 'user' is registered with a loader only (check-only), but CommittingController (through UsersService) injects TransitionService, and commit() needs a store",
    );
    // Declared check-only, the same app starts.
    await boot({
      entities: [User],
      resource: { resource: 'user', machine: userMachine, loader: UserLoader },
      controllers: [CheckOnlyController],
    });
  });

  it('an idPattern that no key of the store can match', async () => {
    await expect(
      boot({
        entities: [User],
        resource: { resource: 'user', machine: userMachine, store: userStore() },
        options: { idPattern: /^[a-z]+$/ },
      }),
    ).rejects.toThrow(
      "idPattern /^[a-z]+$/ matches none of the ids the user store's key holds (such as '1'): every request would be a 400. Remove idPattern to follow each store's key, or widen it.",
    );
    // Without it, ids follow the key; with a pattern that fits, fine too.
    await boot({
      entities: [User],
      resource: { resource: 'user', machine: userMachine, store: userStore() },
      options: { idPattern: /^[0-9]+$/ },
    });
  });

  describe('routes whose guard commits (commit)', () => {
    const lockableUser = setup({
      types: {} as { context: { locked: boolean } },
      guards: { notLocked: ({ context }) => !context.locked },
    }).createMachine({
      id: 'user',
      initial: 'active',
      context: { locked: false },
      states: {
        active: { on: { SUSPEND: { target: 'suspended', guard: 'notLocked' } } },
        suspended: { on: { REACTIVATE: 'active' } },
      },
    });
    @Controller('users')
    class GuardedCommit {
      @Post(':id/suspend')
      @Transition('user', 'SUSPEND', { commit: true })
      suspend() {}
    }
    @Controller('users')
    class BodyEventCommit {
      @Post(':id/events')
      @Transition('user', undefined, { commit: true })
      send() {}
    }
    @Controller('users')
    class LockedCommitRoute {
      @Post(':id/suspend')
      @Transition('user', 'SUSPEND', { commitLocked: true })
      suspend() {}
    }
    @Controller('users')
    class PlainCommit {
      @Post(':id/reactivate')
      @Transition('user', 'REACTIVATE', { commit: true })
      reactivate() {}
    }

    it('an event a guard decides, an event from the body, a resource without a store', async () => {
      const resource = { resource: 'user', machine: lockableUser, store: userStore() };
      await expect(
        boot({ entities: [User], resource, controllers: [GuardedCommit] }),
      ).rejects.toThrow(
        "@Transition('user', 'SUSPEND', { commit }) on GuardedCommit.suspend: SUSPEND cannot be committed without reading the row: guard 'notLocked' decides it in state 'active'. Drop commit and call TransitionService.commit(t) in the handler (@CurrentTransition() t): it reads the row, so the machine's guards see it.",
      );
      await expect(
        boot({ entities: [User], resource, controllers: [BodyEventCommit] }),
      ).rejects.toThrow(
        "@Transition('user', { commit }) on BodyEventCommit.send: the guard commits one fixed event; this route takes the event from the body.",
      );
      await expect(
        boot({
          entities: [User],
          resource: { resource: 'user', machine: lockableUser, loader: UserLoader },
          controllers: [PlainCommit],
        }),
      ).rejects.toThrow(
        "@Transition('user', 'REACTIVATE', { commit }) on PlainCommit.reactivate: 'user' is registered with a loader only, and the guard commits through a store.",
      );
      // An event no guard decides, on a store: the app starts; under a lock, any event does.
      await boot({ entities: [User], resource, controllers: [PlainCommit] });
      await boot({ entities: [User], resource, controllers: [LockedCommitRoute] });
    });
  });

  describe('@OnTransition() handlers and audit routes', () => {
    @Injectable()
    class Welcome {
      @OnTransition('user', { event: 'REACTIVATE', from: 'suspended', to: 'active' })
      greet() {}
    }
    @Injectable()
    class Typo {
      @OnTransition('user', { event: 'SUSPEN' })
      onSuspend() {}
      @OnTransition('user', { to: 'banned' })
      onBan() {}
    }
    const outboxEntities = [User, TransitionOutboxEntry, HandledTransitionEntry];

    it('an event or a state the machine does not have', async () => {
      await expect(
        boot({
          entities: outboxEntities,
          resource: { resource: 'user', machine: userMachine, store: userStore() },
          providers: [Typo],
          options: { outbox: { store: TypeOrmOutboxStore, relay: false } },
        }),
      ).rejects.toThrow(
        /2 problem\(s\) with @OnTransition\(\) handlers and outbox\.publish:\n- @OnTransition\('user'\) on Typo\.onSuspend: 'SUSPEN' is not an event of user \(events: SUSPEND, REACTIVATE\)\.\n- @OnTransition\('user'\) on Typo\.onBan: 'banned' is not a state of user \(states: active, suspended\)\./,
      );
    });

    it('a TypeORM store with the default (memory) outbox, which cannot write in its transactions', async () => {
      await expect(
        boot({
          entities: outboxEntities,
          resource: { resource: 'user', machine: userMachine, store: userStore() },
          providers: [Welcome],
        }),
      ).rejects.toThrow(
        /on Welcome\.greet: outbox messages are written in the transition's own transaction, but MemoryOutboxStore cannot write in UserStore's transactions\. Set TransitionGuardModule\.forRoot\(\{ outbox: \{ store \} \}\).*TypeOrmOutboxStore for a TypeOrmTransitionStore/,
      );
      // With the TypeORM outbox on the same DataSource, the same app starts.
      await boot({
        entities: outboxEntities,
        resource: { resource: 'user', machine: userMachine, store: userStore() },
        providers: [Welcome],
        options: { outbox: { store: TypeOrmOutboxStore, relay: false } },
      });
    });

    it('the TypeORM outbox without its entities', async () => {
      await expect(
        boot({
          entities: [User],
          resource: { resource: 'user', machine: userMachine, store: userStore() },
          options: { outbox: { store: TypeOrmOutboxStore } },
        }),
      ).rejects.toThrow(
        /TypeOrmOutboxStore keeps messages in TransitionOutboxEntry rows .* but TransitionOutboxEntry is not one of the DataSource's entities\. Add both/,
      );
    });

    it('outbox.publish: a client not registered, an event the machine lacks, a destination twice', async () => {
      // A real ClientProxy (never connected: the bootstrap only looks it up).
      const events = ClientProxyFactory.create({ transport: Transport.TCP });
      const publish = [
        { client: 'NOWHERE', resource: 'user' },
        { client: 'EVENTS', resource: 'user', event: 'SUSPEN' },
        { client: 'EVENTS', resource: 'user', event: 'REACTIVATE' },
      ];
      await expect(
        boot({
          entities: outboxEntities,
          resource: { resource: 'user', machine: userMachine, store: userStore() },
          values: [{ provide: 'EVENTS', useValue: events }],
          options: { outbox: { store: TypeOrmOutboxStore, relay: false, publish } },
        }),
      ).rejects.toThrow(
        /3 problem\(s\) with @OnTransition\(\) handlers and outbox\.publish:[^]*- outbox\.publish\[0\] \(client NOWHERE, resource 'user'\): no ClientProxy is registered as NOWHERE\. Register one, e\.g\. ClientsModule\.register\(\[\{ name: 'NOWHERE'[^]*- outbox\.publish\[2\] \(client EVENTS, resource 'user'\): the same client and resource as outbox\.publish\[1\][^]*- outbox\.publish\[1\] \(client EVENTS, resource 'user'\): 'SUSPEN' is not an event of user/,
      );
      // One destination per client and resource, with events that exist: the app starts.
      await boot({
        entities: outboxEntities,
        resource: { resource: 'user', machine: userMachine, store: userStore() },
        values: [{ provide: 'EVENTS', useValue: events }],
        options: {
          outbox: {
            store: TypeOrmOutboxStore,
            relay: false,
            publish: [{ client: 'EVENTS', resource: 'user', event: ['SUSPEND', 'REACTIVATE'] }],
          },
        },
      });
    });

    it('a handler on a check-only resource, whose transitions are never committed', async () => {
      await expect(
        boot({
          entities: [User],
          resource: { resource: 'user', machine: userMachine, loader: UserLoader },
          providers: [Welcome],
        }),
      ).rejects.toThrow(
        "@OnTransition('user') on Welcome.greet: user is check-only (a loader, no store), so none of its transitions is committed here. Give it a store.",
      );
    });

    it('audit: true on a route whose payload declares an audit field', async () => {
      @Controller('users')
      class AuditedController {
        @Post(':id/suspend')
        @Transition('user', 'SUSPEND', { audit: true, checkOnly: true })
        suspend() {}
      }
      await expect(
        boot({
          entities: [User],
          resource: {
            resource: 'user',
            machine: userMachine,
            loader: UserLoader,
            payloads: { SUSPEND: z.object({ reason: z.string() }) },
          },
          controllers: [AuditedController],
        }),
      ).rejects.toThrow(
        "@Transition('user', ..., { audit: true }) on AuditedController.suspend: the payload of SUSPEND declares 'reason', which audit: true takes for the transition log. Rename the payload field, or drop audit on this route.",
      );
    });
  });
});
