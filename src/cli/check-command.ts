import { lintMachine, type Finding, type FindingCode } from '../core/index.js';
import { finding } from '../core/lint/lint-machine.js';
import { findMachineFiles, loadMachineFile } from './load-machine-file.js';
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
 * `requireLock`, a machine without one is an error too.
 */
export async function checkMachines(
  paths: readonly string[],
  severity: SeverityOverrides = {},
  options: { requireLock?: boolean } = {},
): Promise<CheckReport> {
  const files = findMachineFiles(paths);
  const reports: FileReport[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const loaded = await loadMachineFile(file);
    const findings = [...loaded.findings];
    for (const machine of loaded.machines) {
      findings.push(
        ...lintMachine(machine, { checkImplementations: !loaded.implementationsChecked }),
        ...lockFindings(file, machine, options.requireLock === true),
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
