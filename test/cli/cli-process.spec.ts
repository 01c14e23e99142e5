import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The CLI as a process: exit codes, formats, one-line errors for bad input. */
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('transition-guard (process)', () => {
  it('check exits 0 on the project machines, 1 on errors, and --strict turns warnings into exit 1', () => {
    expect(run('check', 'machines')).toMatchObject({
      code: 0,
      out: expect.stringContaining('0 errors, 0 warnings in 3 files'),
    });
    expect(run('check', 'test/fixtures/lint/broken').code).toBe(1);
    // A dead end and an unreachable state are errors without flags; an unused event a warning.
    expect(run('check', 'test/fixtures/lint/broken/dead-end.machine.json').code).toBe(1);
    expect(run('check', 'test/fixtures/lint/broken/unreachable.machine.json').code).toBe(1);
    const unused = 'test/fixtures/lint/broken/unused-event.machine.json';
    expect(run('check', '--severity', 'unreachable-state=warning', unused).code).toBe(0);
    expect(run('check', '--strict', '--severity', 'unreachable-state=warning', unused).code).toBe(
      1,
    );
  });

  it('takes severities per finding kind from flags and from transition-guard.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-cli-'));
    const config = join(dir, 'transition-guard.json');
    writeFileSync(config, JSON.stringify({ severity: { 'dead-end': 'off' } }));
    const deadEnd = 'test/fixtures/lint/broken/dead-end.machine.json';
    expect(run('check', '--config', config, deadEnd)).toMatchObject({
      code: 0,
      out: expect.stringContaining('0 errors, 0 warnings in 1 file'),
    });
    // A flag wins over the file.
    expect(
      run('check', '--config', config, '--severity', 'dead-end=warning', deadEnd).out,
    ).toContain('warning states.stuck');
    // The file is found in the working directory without --config.
    const cwdRun = spawnSync(
      process.execPath,
      [join(process.cwd(), 'bin/transition-guard.mjs'), 'check', join(process.cwd(), deadEnd)],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(cwdRun.status).toBe(0);
    writeFileSync(config, JSON.stringify({ severity: { 'dead-end': 'loud' } }));
    expect(run('check', '--config', config, deadEnd)).toMatchObject({
      code: 2,
      err: expect.stringMatching(
        /transition-guard\.json: severity\.dead-end: .*expected \{ "severity"/,
      ),
    });
    expect(run('check', '--severity', 'dead-ends=off', deadEnd)).toMatchObject({
      code: 2,
      err: expect.stringContaining(
        '--severity dead-ends=off: expected <finding>=error|warning|off',
      ),
    });
  });

  it('runs as the package bin straight from a clone, without a build', () => {
    const r = spawnSync(process.execPath, ['bin/transition-guard.mjs', 'check', 'machines'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('0 errors, 0 warnings in 3 files');
  });

  it('check --format json prints the report as data', () => {
    const r = run(
      'check',
      '--format',
      'json',
      'test/fixtures/lint/broken/unreachable.machine.json',
    );
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({
      errors: 1,
      warnings: 0,
      files: [
        {
          machines: ['unreachable'],
          findings: [{ code: 'unreachable-state', path: 'states.limbo' }],
        },
      ],
    });
  });

  it.each([
    ['missing.machine.ts', 'no such file or folder'],
    ['not-a-machine.machine.ts', 'exports no XState machine (expected a default or named export'],
    ['does-not-parse.machine.ts', 'could not be loaded'],
    ['does-not-parse.machine.json', 'does not parse as JSON'],
    ['not-a-machine.machine.json', 'is not a machine definition'],
  ])('refuses %s with one line, exit 2, no stack trace', (file, message) => {
    const r = run('check', `test/fixtures/lint/bad-input/${file}`);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain(file);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('prints a stack trace for bad input with --verbose', () => {
    expect(
      run('check', '--verbose', 'test/fixtures/lint/bad-input/not-a-machine.machine.ts').err,
    ).toMatch(/\n\s+at /);
  });

  it('graph draws Mermaid and DOT with guards, roles, finals, exclusions and a highlight', () => {
    const mermaid = run(
      'graph',
      'machines/order.machine.ts',
      '--highlight',
      'paid',
      '--exclude-event',
      'CANCEL',
    );
    expect(mermaid.code).toBe(0);
    expect(mermaid.out).toContain('stateDiagram-v2');
    expect(mermaid.out).toContain('paid --> shipped : SHIP [paidInFull]');
    expect(mermaid.out).toContain('delivered --> refunded : REFUND (support)');
    expect(mermaid.out).toContain('cancelled --> [*]');
    expect(mermaid.out).not.toContain(': CANCEL');
    expect(mermaid.out).toContain('class paid highlight');
    const dot = run('graph', '--format', 'dot', 'machines/ticket.machine.ts');
    expect(dot.out).toContain('subgraph "cluster_status"');
    expect(dot.out).toContain('"status.closed" [label="closed", shape=doublecircle]');
    expect(run('graph', 'machines/order.machine.ts', '--highlight', 'nowhere')).toMatchObject({
      code: 2,
      err: expect.stringContaining('not a state of'),
    });
  });

  it('table prints states by events', () => {
    const r = run('table', 'machines/order.machine.ts');
    expect(r.out.split('\n')[0]).toBe('| state | PAY | CANCEL | SHIP | REFUND | DELIVER |');
    expect(r.out).toContain('| paid |  | cancelled | shipped [paidInFull] | refunded |  |');
  });
});
