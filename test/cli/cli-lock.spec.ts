import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** `lock`, `check` against the lock, `diff` and `trigger`, as processes. */
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

/** A copy of the article machine (JSON, with its implementations) to change. */
function articleCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tg-lock-'));
  cpSync('machines/article.machine.json', join(dir, 'article.machine.json'));
  cpSync('machines/article.implementations.ts', join(dir, 'article.implementations.ts'));
  return dir;
}

describe('transition-guard lock, diff and trigger (process)', () => {
  it('the committed locks match the project machines', () => {
    expect(run('check', '--require-lock', 'machines')).toMatchObject({
      code: 0,
      out: expect.stringContaining('0 errors, 0 warnings in 3 files'),
    });
  });

  it('check fails once a locked machine changes, until the lock is written again', () => {
    const dir = articleCopy();
    expect(run('check', '--require-lock', dir)).toMatchObject({
      code: 1,
      out: expect.stringContaining(`no lock for machine 'article'`),
    });
    expect(run('lock', dir)).toMatchObject({
      code: 0,
      out: expect.stringContaining('article.lock.json: written ('),
    });
    expect(run('lock', dir).out).toContain('article.lock.json: unchanged');
    expect(readFileSync(join(dir, 'article.lock.json'), 'utf8')).toBe(
      readFileSync('machines/article.lock.json', 'utf8'),
    );
    const file = join(dir, 'article.machine.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as {
      states: Record<string, unknown>;
    };
    const renamed = JSON.stringify(json).replaceAll('"archived"', '"shelved"');
    writeFileSync(file, renamed);
    const check = run('check', dir);
    expect(check.code).toBe(1);
    expect(check.out).toMatch(
      /machine 'article' changed since .*article\.lock\.json was written \(1 state\(s\) added, 1 removed.*review: transition-guard diff .*\[lock-outdated\]/,
    );
    // diff: a removed state without a mapping exits 1; with one, 0.
    const lockFile = join(dir, 'article.lock.json');
    const unmapped = run('diff', lockFile, file);
    expect(unmapped.code).toBe(1);
    expect(unmapped.out).toContain('+ state shelved');
    expect(unmapped.out).toContain('- state archived');
    expect(unmapped.out).toContain(
      `error: rows in 'archived' would be in a state the new machine does not have`,
    );
    const mapped = run('diff', lockFile, file, '--map', 'archived=shelved', '--format', 'json');
    expect(mapped.code).toBe(0);
    expect(JSON.parse(mapped.out)).toMatchObject({
      machine: 'article',
      states: { added: [], removed: [], renamed: [{ from: 'archived', to: 'shelved' }] },
      edges: { added: [], removed: [] },
      unmapped: [],
    });
    expect(run('diff', lockFile, file, '--map', 'archivd=shelved')).toMatchObject({
      code: 2,
      err: expect.stringContaining(`'archivd' is not a state of the old 'article'`),
    });
    expect(run('lock', dir).out).toContain('written');
    expect(run('check', dir).code).toBe(0);
  });

  it('a lock edited by hand is bad input', () => {
    const dir = articleCopy();
    run('lock', dir);
    const lockFile = join(dir, 'article.lock.json');
    writeFileSync(lockFile, readFileSync(lockFile, 'utf8').replace('"draft",', '"drafts",'));
    expect(run('check', dir)).toMatchObject({
      code: 2,
      err: expect.stringContaining('its hash does not match its content'),
    });
  });

  it('trigger prints SQL that SQLite runs, and the installed trigger refuses what the machine refuses', () => {
    const printed = run(
      'trigger',
      'machines/order.machine.ts',
      '--dialect',
      'sqlite',
      '--table',
      'orders',
      '--state',
      'status',
      '--version',
      'version',
    );
    expect(printed.code).toBe(0);
    const db = new Database(':memory:');
    db.exec(
      `CREATE TABLE orders (id integer PRIMARY KEY, status text NOT NULL, version integer NOT NULL)`,
    );
    db.exec(printed.out);
    db.exec(`INSERT INTO orders (status, version) VALUES ('pending', 0)`);
    db.exec(`UPDATE orders SET status = 'paid', version = 1`);
    expect(() => db.exec(`UPDATE orders SET status = 'pending', version = 2`)).toThrow(
      /transition_guard:illegal-transition \{"resource":"order","from":"paid","to":"pending"\}/,
    );
    expect(() => db.exec(`INSERT INTO orders (status, version) VALUES ('shipped', 0)`)).toThrow(
      /transition_guard:illegal-insert/,
    );
    const removal = run(
      'trigger',
      'machines/order.lock.json',
      '--dialect',
      'sqlite',
      '--table',
      'orders',
      '--state',
      'status',
      '--uninstall',
    );
    db.exec(removal.out);
    db.exec(`UPDATE orders SET status = 'pending', version = 2`);
    expect(
      run(
        'trigger',
        'machines/order.lock.json',
        '--dialect',
        'oracle',
        '--table',
        'o',
        '--state',
        's',
      ).code,
    ).toBe(2);
    expect(
      run(
        'trigger',
        'machines/order.lock.json',
        '--dialect',
        'postgres',
        '--table',
        'o',
        '--state',
        's',
        '--version-must-grow',
      ),
    ).toMatchObject({
      code: 2,
      err: expect.stringContaining('--version-must-grow needs --version <column>'),
    });
  });

  it('migrate writes a Drizzle SQL migration that moves the rows, and refuses an unmapped state', () => {
    const out = mkdtempSync(join(tmpdir(), 'tg-migrate-'));
    const args = [
      'migrate',
      'test/fixtures/changing-machines/parcel.lock.json',
      'test/fixtures/changing-machines/parcel.machine.json',
      '--orm',
      'drizzle',
      '--dialect',
      'sqlite',
      '--table',
      'parcels',
      '--state',
      'status',
      '--version',
      'version',
      '--out',
      out,
    ];
    expect(run(...args, '--map', 'shipped=in_transit')).toMatchObject({
      code: 2,
      err: expect.stringContaining('removed state(s) without a mapping: lost'),
    });
    const written = run(...args, '--map', 'shipped=in_transit,lost=returned', '--batch', '2');
    expect(written).toMatchObject({ code: 0 });
    expect(written.out).toContain(`wrote ${join(out, '0000_parcel_state_move.sql')}`);
    expect(written.out).toContain(`wrote ${join(out, 'meta', '_journal.json')}`);
    const sqlFile = readFileSync(join(out, '0000_parcel_state_move.sql'), 'utf8');
    const db = new Database(':memory:');
    db.exec(
      'CREATE TABLE parcels (id integer PRIMARY KEY, status text NOT NULL, version integer NOT NULL)',
    );
    db.exec(
      "INSERT INTO parcels (status, version) VALUES ('shipped', 0), ('lost', 3), ('packed', 1)",
    );
    for (const statement of sqlFile.split('--> statement-breakpoint')) db.exec(statement);
    expect(db.prepare('SELECT status, version FROM parcels ORDER BY id').all()).toEqual([
      { status: 'in_transit', version: 1 },
      { status: 'returned', version: 4 },
      { status: 'packed', version: 1 },
    ]);
  });
});
