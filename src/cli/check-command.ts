import type { AnyStateMachine } from 'xstate';
import { lintMachine, MachineTimers, type Finding, type FindingCode } from '../core/index.js';
import { finding } from '../core/lint/lint-machine.js';
import {
  findMachineFiles,
  findResourceFiles,
  loadMachineFile,
  loadResourceFile,
  type DeclaredResource,
  type LoadedMachineFile,
} from './load-machine-file.js';
import { lockFindings } from './lock-command.js';

export interface FileReport {
  readonly file: string;
  readonly machines: readonly string[];
  readonly findings: readonly Finding[];
}

export interface CheckReport {
  readonly files: readonly FileReport[];
  readonly errors: number;
  readonly warnings: number;
}

/** A finding kind's severity as configured: raised, lowered, or turned off. */
export type SeverityOverrides = Readonly<Partial<Record<FindingCode, 'error' | 'warning' | 'off'>>>;

/**
 * Loads and lints every machine file under `paths`; duplicate machine ids across files are errors.
 * `severity` changes the severity of finding kinds (`{ 'unused-event': 'error', 'dead-end': 'off' }`).
 * A machine with a lock file (`<id>.lock.json` beside it) must still match it; with
 * `requireLock`, a machine without one is an error too. A machine with `after` transitions is
 * warned about unless a resource definition with a store runs it (exported by a machine file or a
 * `*.resource.ts` file under `paths`): without a store its timers never fire.
 */
export async function checkMachines(
  paths: readonly string[],
  severity: SeverityOverrides = {},
  options: { requireLock?: boolean } = {},
): Promise<CheckReport> {
  const loadedFiles: LoadedMachineFile[] = [];
  for (const file of findMachineFiles(paths)) loadedFiles.push(await loadMachineFile(file));
  const resources = loadedFiles.flatMap((l) => l.resources);
  for (const file of findResourceFiles(paths)) resources.push(...(await loadResourceFile(file)));
  const reports: FileReport[] = [];
  const seen = new Map<string, string>();
  for (const loaded of loadedFiles) {
    const file = loaded.file;
    const findings = [...loaded.findings];
    for (const machine of loaded.machines) {
      findings.push(
        ...lintMachine(machine, { checkImplementations: !loaded.implementationsChecked }),
        ...lockFindings(file, machine, options.requireLock === true),
        ...timerFindings(machine, resources),
      );
      const other = seen.get(machine.id);
      if (other)
        findings.push(
          finding(
            'duplicate-id',
            'id',
            `machine id '${machine.id}' is also the id of a machine in ${other}; ids must be unique: rename one`,
          ),
        );
      else seen.set(machine.id, file);
    }
    const configured = findings.flatMap((f): Finding[] => {
      const level = severity[f.code];
      if (level === 'off') return [];
      return level ? [{ ...f, severity: level }] : [f];
    });
    reports.push({ file, machines: loaded.machines.map((m) => m.id), findings: configured });
  }
  const all = reports.flatMap((r) => r.findings);
  return {
    files: reports,
    errors: all.filter((f) => f.severity === 'error').length,
    warnings: all.filter((f) => f.severity === 'warning').length,
  };
}

/**
 * A machine with `after` transitions: fine when a checked resource definition with a store runs
 * it; else a warning, naming the resources without a store if there are some.
 */
function timerFindings(
  machine: AnyStateMachine,
  resources: readonly DeclaredResource[],
): Finding[] {
  const timed = [...new MachineTimers(machine).byState.keys()];
  if (!timed.length) return [];
  const running = resources.filter((r) => r.machineId === machine.id);
  if (running.some((r) => r.store)) return [];
  const first = timed[0] ?? '';
  const path = first ? `states.${first.split('.').join('.states.')}.after` : 'after';
  const why =
    `its 'after' transitions (in ${timed.map((s) => `'${s}'`).join(', ')}) fire only for a ` +
    'resource with a store and a timer store (TransitionGuardModule.forRoot({ timers: { store } }); docs/timers.md)';
  const message = running.length
    ? `${why}, and ${running.map((r) => `resource '${r.resource}' (${r.file})`).join(', ')} has none: ` +
      'give it a store (defineResource({ ..., store }))'
    : `${why}, and no resource definition among the checked files runs machine '${machine.id}' ` +
      'with a store: check its *.resource.ts file too (transition-guard check machines src), or turn ' +
      'this off (--severity timers-without-store=off)';
  return [finding('timers-without-store', path, message)];
}

/** The report as text: per file, one line per finding, then a summary line. */
export function formatReport(report: CheckReport): string {
  const lines: string[] = [];
  for (const r of report.files) {
    lines.push(
      `${r.file}${r.machines.length ? ` (${r.machines.join(', ')})` : ''}: ${r.findings.length ? '' : 'ok'}`.trimEnd(),
    );
    for (const f of r.findings)
      lines.push(`  ${f.severity.padEnd(7)} ${f.path}: ${f.message} [${f.code}]`);
  }
  const n = report.files.length;
  lines.push(
    `${report.errors} error${report.errors === 1 ? '' : 's'}, ${report.warnings} warning${report.warnings === 1 ? '' : 's'} in ${n} file${n === 1 ? '' : 's'}`,
  );
  return lines.join('\n');
}
