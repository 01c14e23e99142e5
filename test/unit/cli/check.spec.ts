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

  describe('after transitions and the resource that runs them', () => {
    const timers = 'test/fixtures/lint/timers';
    it('warns for a machine no checked resource runs with a store, naming a storeless one', async () => {
      const report = await checkMachines([timers]);
      const byFile = Object.fromEntries(
        report.files.map((f) => [f.file.split('/').pop(), f.findings]),
      );
      expect(byFile['stored.machine.ts']).toEqual([]);
      expect(byFile['unowned.machine.ts']).toEqual([
        {
          severity: 'warning',
          code: 'timers-without-store',
          path: 'states.open.after',
          message: expect.stringContaining(
            "no resource definition among the checked files runs machine 'unowned'",
          ),
        },
      ]);
      expect(byFile['storeless.machine.ts']).toEqual([
        {
          severity: 'warning',
          code: 'timers-without-store',
          path: 'states.draft.states.editing.after',
          message: expect.stringContaining(
            `resource 'storeless' (${timers}/storeless.machine.ts) has none: give it a store`,
          ),
        },
      ]);
      expect({ errors: report.errors, warnings: report.warnings }).toEqual({
        errors: 0,
        warnings: 2,
      });
    });

    it('finds the resource only in the files it checks: the machine alone is warned about', async () => {
      expect(await codes(`${timers}/stored.machine.ts`)).toEqual([
        'warning:timers-without-store:states.open.after',
      ]);
    });

    it('is quiet with the warning turned off', async () => {
      const report = await checkMachines([timers], { 'timers-without-store': 'off' });
      expect(report.warnings).toBe(0);
    });
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
