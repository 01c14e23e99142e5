import 'reflect-metadata';
import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { createMachine } from 'xstate';
import { TransitionGuardModule, type TransitionGuardOptions } from '../../src/index.js';
import { TypeOrmTransitionStore } from '../../src/store/typeorm/index.js';
import { lockMachine, type MachineLock } from '../../src/core/index.js';
import { machineTriggerStatements } from '../../src/store/index.js';

/**
 * The stored-state check at bootstrap: rows in a state the machine does not have (renamed or
 * removed without migrating them) stop the start in production, with the states, their counts
 * and the migrate command; elsewhere they are logged.
 */
@Entity({ name: 'members' })
class Member {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 20 })
  status!: string;

  @Column({ type: 'integer', default: 0 })
  version!: number;
}

// The machine after a deploy that renamed 'banned' to 'blocked'.
const memberMachine = createMachine({
  id: 'member',
  initial: 'active',
  states: { active: { on: { BLOCK: 'blocked' } }, blocked: { on: { UNBLOCK: 'active' } } },
});

@Injectable()
class MemberStore extends TypeOrmTransitionStore<Member> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, { entity: Member, stateProperty: 'status', versionProperty: 'version' });
  }
}

/** Rows as the previous deploy left them: 3 in 'banned', 1 in 'gone', 2 in 'active'. */
@Injectable()
class Rows implements OnModuleInit {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}
  async onModuleInit() {
    for (const status of ['banned', 'active', 'banned', 'gone', 'banned', 'active']) {
      await this.db.query(`INSERT INTO members (status, version) VALUES (?, 0)`, [status]);
    }
  }
}

async function boot(options: TransitionGuardOptions, rows = true, trigger?: MachineLock) {
  const warnings: string[] = [];
  @Injectable()
  class Trigger implements OnModuleInit {
    constructor(@Inject(DataSource) private readonly db: DataSource) {}
    async onModuleInit() {
      if (!trigger) return;
      const { install } = machineTriggerStatements('sqlite', trigger, {
        resource: 'member',
        table: 'members',
        id: 'id',
        state: 'status',
      });
      for (const statement of install) await this.db.query(statement);
    }
  }
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'better-sqlite3',
        database: ':memory:',
        entities: [Member],
        synchronize: true,
      }),
      TransitionGuardModule.forRoot(options),
      TransitionGuardModule.forFeature([
        { resource: 'member', machine: memberMachine, store: MemberStore },
      ]),
    ],
    providers: rows ? [Rows, Trigger] : [Trigger],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, {
    abortOnError: false,
    logger: {
      log() {},
      error() {},
      warn: (m: unknown) => warnings.push(String(m)),
      debug() {},
      verbose() {},
      fatal() {},
    },
  });
  try {
    await app.init();
    return warnings;
  } finally {
    await app.close().catch(() => undefined);
  }
}

const COUNTS =
  /member: 4 rows are in states machine 'member' does not have: 'banned' \(3 rows\), 'gone' \(1 row\)\..*npx transition-guard diff <old lock> <machine file> --map banned=<state>,gone=<state>\).*WHERE state = 'banned', in batches; docs\/changing-machines\.md/;

describe('the stored-state check at bootstrap', () => {
  const env = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = env;
  });

  it('refuses the start in production, naming the states, their counts and the command', async () => {
    process.env.NODE_ENV = 'production';
    await expect(boot({})).rejects.toThrow(COUNTS);
    await expect(boot({})).rejects.toThrow(/To start anyway: .*storedStates: 'warn'/);
  });

  it('warns elsewhere, and the app starts', async () => {
    process.env.NODE_ENV = 'development';
    const warnings = await boot({});
    expect(warnings.join('\n')).toMatch(COUNTS);
    expect(warnings.join('\n')).not.toMatch(/To start anyway/);
  });

  it("follows the option: 'refuse' outside production, 'off' in production", async () => {
    process.env.NODE_ENV = 'test';
    await expect(boot({ storedStates: 'refuse' })).rejects.toThrow(COUNTS);
    process.env.NODE_ENV = 'production';
    expect(await boot({ storedStates: 'off' })).toEqual([]);
  });

  it('says nothing when every row is in a state the machine has', async () => {
    process.env.NODE_ENV = 'production';
    expect(await boot({}, false)).toEqual([]);
  });

  it("warns when the table's machine trigger was built from another version of the machine", async () => {
    process.env.NODE_ENV = 'production';
    const current = lockMachine(memberMachine);
    expect(await boot({}, false, current)).toEqual([]);
    const older: MachineLock = {
      ...current,
      hash: `sha256:${'0'.repeat(64)}`,
      edges: current.edges.filter((e) => e.event !== 'UNBLOCK'),
    };
    expect((await boot({}, false, older)).join('\n')).toMatch(
      /member: the database's trigger was built from another version of machine 'member' \(its hash sha256:000000000000\.\.\., the machine's sha256:[0-9a-f]{12}\.\.\.\).*Install it again: npx transition-guard trigger/,
    );
  });
});
