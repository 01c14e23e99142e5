import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { postJson, root, startDemoProcess, stopDemoProcess } from '../support/processes.js';

const getJson = async (_agent: Agent, url: string) => {
  const r = await fetch(url);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};

/**
 * docs/changing-machines.md, "The whole flow on the demo", run as written in a copy of the
 * repository: orders shipped on the demo (SQLite), `shipped` renamed to `in_transit` in
 * machines/order.machine.ts, `check` and `diff` failing until the rename is mapped, `migrate`
 * writing the TypeORM migration into the demo's migrations folder, `lock`, and the demo started
 * again: the migration has moved the rows at boot, the moved orders deliver, the log says who
 * moved them.
 */
describe('renaming a state of the demo, end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-rename-'));
  const sqliteFile = join(dir, '.data', 'orders.sqlite');
  const agent = new Agent({ keepAlive: true });
  const staff = { 'x-user-role': 'support' };

  beforeAll(() => {
    for (const part of [
      'src',
      'machines',
      'examples/orders-api/src',
      'package.json',
      'tsconfig.json',
    ]) {
      cpSync(join(root, part), join(dir, part), { recursive: true });
    }
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  });
  afterAll(() => {
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `npx transition-guard ...` in the copy. */
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: dir,
      encoding: 'utf8',
    });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const demo = () =>
    startDemoProcess(
      { SQLITE_FILE: sqliteFile },
      ['--import', 'tsx', 'examples/orders-api/src/main.ts'],
      dir,
    );

  it('moves the shipped orders to in_transit with the migration migrate writes', async () => {
    // Before: three orders shipped, one paid.
    const before = await demo();
    const ids: number[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const order = await postJson(agent, `${before.url}/orders`, { total: 100 });
        await postJson(agent, `${before.url}/orders/${String(order.body.id)}/pay`, { amount: 100 });
        if (i < 3) {
          const shipped = await postJson(
            agent,
            `${before.url}/orders/${String(order.body.id)}/ship`,
            {
              carrier: 'UPS',
              trackingNumber: `1Z${String(i)}`,
            },
          );
          expect(shipped.body).toMatchObject({ state: 'shipped' });
        }
        ids.push(order.body.id as number);
      }
    } finally {
      await stopDemoProcess(before);
    }

    // The rename, in the machine file.
    const file = join(dir, 'machines/order.machine.ts');
    const source = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      source
        .replace("target: 'shipped'", "target: 'in_transit'")
        .replace('    shipped: {', '    in_transit: {'),
    );
    expect(cli('check', '--require-lock', 'machines')).toMatchObject({
      code: 1,
      out: expect.stringContaining(
        `machine 'order' changed since machines/order.lock.json was written`,
      ),
    });
    expect(cli('diff', 'machines/order.lock.json', 'machines/order.machine.ts')).toMatchObject({
      code: 1,
      out: expect.stringContaining('shipped'),
    });
    expect(
      cli(
        'diff',
        'machines/order.lock.json',
        'machines/order.machine.ts',
        '--map',
        'shipped=in_transit',
      ).code,
    ).toBe(0);
    const migrate = cli(
      'migrate',
      'machines/order.lock.json',
      'machines/order.machine.ts',
      '--map',
      'shipped=in_transit',
      '--orm',
      'typeorm',
      '--dialect',
      'sqlite',
      '--table',
      'orders',
      '--state',
      'status',
      '--version',
      'version',
      '--log',
      'transition_log',
      '--resource',
      'order',
      '--out',
      'examples/orders-api/src/migrations',
    );
    expect(migrate).toMatchObject({
      code: 0,
      out: expect.stringMatching(
        /^wrote examples\/orders-api\/src\/migrations\/\d+-OrderStateMove\.ts$/m,
      ),
    });
    expect(cli('lock', 'machines').code).toBe(0);
    expect(cli('check', '--require-lock', 'machines').code).toBe(0);

    // After: the demo runs the migration at boot; the moved orders go on under the new name.
    const after = await demo();
    try {
      for (const id of ids.slice(0, 3)) {
        const order = await getJson(agent, `${after.url}/orders/${String(id)}`);
        expect(order.body).toMatchObject({ state: 'in_transit', version: 3 });
      }
      expect((await getJson(agent, `${after.url}/orders/${String(ids[3])}`)).body).toMatchObject({
        state: 'paid',
        version: 1,
      });
      const delivered = await postJson(
        agent,
        `${after.url}/orders/${String(ids[0])}/deliver`,
        {},
        staff,
      );
      expect(delivered).toMatchObject({ status: 200, body: { state: 'delivered', version: 4 } });
      // A shipped order of the new machine is in_transit from the start.
      const shipped = await postJson(
        agent,
        `${after.url}/orders/${String(ids[3])}/ship`,
        {
          carrier: 'UPS',
          trackingNumber: '1Z9',
        },
        staff,
      );
      expect(shipped.body).toMatchObject({ state: 'in_transit' });
    } finally {
      await stopDemoProcess(after);
    }
    const db = new Database(sqliteFile, { readonly: true });
    try {
      expect(
        db
          .prepare(
            `SELECT "resourceId", from_state, to_state, version, actor FROM transition_log WHERE actor = 'system:migration' ORDER BY "resourceId"`,
          )
          .all(),
      ).toEqual(
        ids.slice(0, 3).map((id) => ({
          resourceId: String(id),
          from_state: 'shipped',
          to_state: 'in_transit',
          version: 3,
          actor: 'system:migration',
        })),
      );
    } finally {
      db.close();
    }
  }, 240_000);
});
