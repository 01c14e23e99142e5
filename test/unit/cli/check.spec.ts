import { checkMachines } from '../../../src/cli/check-command.js';

const codes = async (path: string) =>
  (await checkMachines([path])).files.flatMap((f) =>
    f.findings.map((x) => `${x.severity}:${x.code}:${x.path}`),
  );

describe('transition-guard check (findings)', () => {
  it('finds nothing in the project machines and the good fixtures', async () => {
    for (const path of ['machines', 'test/fixtures/lint/good']) {
      const report = await checkMachines([path]);
      expect(report.files.flatMap((f) => f.findings)).toEqual([]);
      expect(report.files.length).toBeGreaterThan(1);
    }
  });

  it.each([
    ['unreachable.machine.json', ['error:unreachable-state:states.limbo']],
    ['dead-end.machine.json', ['error:dead-end:states.stuck']],
    [
      'unused-event.machine.json',
      ['error:unreachable-state:states.island', 'warning:unused-event:on.ONLY_HERE'],
    ],
    ['orphan-payload.machine.json', ['error:orphan-payload:schemas.events.GHOST']],
    ['unknown-target.machine.json', ['error:unknown-target:states.a.on.GO.target']],
    ['unknown-target.machine.ts', ['error:unknown-target:(root)']],
    ['unknown-guard.machine.json', ['error:unknown-guard:states.a.on.GO.guard']],
    [
      'missing-guard.machine.ts',
      ['error:unknown-guard:states.a.on.GO', 'error:unknown-action:states.a.on.GO'],
    ],
    ['schema.machine.json', ['error:schema:states.a.on.GO']],
  ])('reports %s', async (file, expected) => {
    expect(await codes(`test/fixtures/lint/broken/${file}`)).toEqual(expected);
  });

  it('reports duplicate machine ids across files', async () => {
    const report = await checkMachines(['test/fixtures/lint/duplicates']);
    expect(report.files[1].findings).toEqual([
      expect.objectContaining({
        code: 'duplicate-id',
        severity: 'error',
        message: expect.stringContaining('one.machine.json'),
      }),
    ]);
    expect(report.errors).toBe(1);
  });
});
