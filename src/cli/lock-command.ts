import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import {
  diffLocks,
  formatLock,
  lockMachine,
  MachineLockError,
  parseLock,
  StateMappingError,
  type Finding,
  type MachineDiff,
  type MachineLock,
} from '../core/index.js';
import { finding } from '../core/lint/lint-machine.js';
import { CliInputError, findMachineFiles, loadMachineFile } from './load-machine-file.js';

/** Where a machine's lock lives: `<folder of the machine file>/<machine id>.lock.json`. */
export function lockFileOf(machineFile: string, machineId: string): string {
  return join(dirname(machineFile), `${machineId}.lock.json`);
}

function readLock(file: string): MachineLock {
  try {
    return parseLock(readFileSync(file, 'utf8'), file);
  } catch (err) {
    if (err instanceof MachineLockError) throw new CliInputError(err.message);
    throw err;
  }
}

/** What `lock` did for one machine. */
export interface LockOutcome {
  readonly file: string;
  readonly machine: string;
  readonly status: 'written' | 'unchanged';
  readonly states: number;
  readonly edges: number;
  readonly problems: readonly string[];
}

/** Writes the lock of every machine under `paths` (machine files with errors are refused). */
export async function writeLocks(paths: readonly string[]): Promise<LockOutcome[]> {
  const out: LockOutcome[] = [];
  for (const file of findMachineFiles(paths)) {
    const loaded = await loadMachineFile(file);
    if (!loaded.machines.length || loaded.findings.some((f) => f.severity === 'error')) {
      throw new CliInputError(
        `${file}: cannot be locked, it has errors (run: transition-guard check ${file})`,
      );
    }
    for (const machine of loaded.machines) {
      const lock = lockMachine(machine);
      const target = lockFileOf(file, machine.id);
      const text = formatLock(lock);
      const same = existsSync(target) && readFileSync(target, 'utf8') === text;
      if (!same) writeFileSync(target, text);
      out.push({
        file: target,
        machine: machine.id,
        status: same ? 'unchanged' : 'written',
        states: lock.states.length,
        edges: lock.edges.length,
        problems: lock.problems,
      });
    }
  }
  return out;
}

/**
 * The lock findings of one machine for `check`: `lock-outdated` (an error) when a lock exists
 * and the machine no longer matches it; `lock-missing` when there is none and `requireLock`.
 */
export function lockFindings(
  file: string,
  machine: AnyStateMachine,
  requireLock: boolean,
): Finding[] {
  const target = lockFileOf(file, machine.id);
  if (!existsSync(target)) {
    return requireLock
      ? [
          finding(
            'lock-missing',
            'id',
            `no lock for machine '${machine.id}' (${target}); write it with: transition-guard lock ${file}`,
          ),
        ]
      : [];
  }
  const lock = readLock(target);
  const now = lockMachine(machine);
  if (lock.hash === now.hash) return [];
  const d = diffLocks(lock, now);
  const changes = [
    d.states.added.length && `${String(d.states.added.length)} state(s) added`,
    d.states.removed.length && `${String(d.states.removed.length)} removed`,
    d.events.added.length + d.events.removed.length &&
      `${String(d.events.added.length + d.events.removed.length)} event(s) changed`,
    d.edges.added.length + d.edges.removed.length &&
      `${String(d.edges.added.length + d.edges.removed.length)} edge(s) changed`,
  ].filter(Boolean);
  return [
    finding(
      'lock-outdated',
      'id',
      `machine '${machine.id}' changed since ${target} was written (${changes.join(', ') || 'initial state changed'}); review: transition-guard diff ${target} ${file}; then: transition-guard lock ${file}`,
    ),
  ];
}

/**
 * A lock to compare: a `*.lock.json` file as it is, or a machine file's machine locked now
 * (`machine` picks one when the file exports several).
 */
export async function lockOf(file: string, machineId?: string): Promise<MachineLock> {
  if (file.endsWith('.lock.json')) {
    if (!existsSync(file)) throw new CliInputError(`${file}: no such file`);
    return readLock(file);
  }
  const loaded = await loadMachineFile(file);
  if (!loaded.machines.length) {
    throw new CliInputError(
      `${file}: cannot be compared, it has errors (run: transition-guard check ${file})`,
    );
  }
  const machine = machineId
    ? loaded.machines.find((m) => m.id === machineId)
    : loaded.machines.length === 1
      ? loaded.machines[0]
      : undefined;
  if (!machine) {
    throw new CliInputError(
      `${file}: ${machineId ? `has no machine '${machineId}'` : 'defines several machines'}; pick one with --machine (${loaded.machines.map((m) => m.id).join(', ')})`,
    );
  }
  return lockMachine(machine);
}

/** Parses `--map old=new[,old2=new2]` (repeatable). */
export function parseMapping(values: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of values.flatMap((v) => v.split(','))) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) {
      throw new CliInputError(`--map ${pair}: expected old=new (e.g. --map shipped=dispatched)`);
    }
    const from = pair.slice(0, eq).trim();
    if (Object.hasOwn(map, from)) throw new CliInputError(`--map: '${from}' is mapped twice`);
    map[from] = pair.slice(eq + 1).trim();
  }
  return map;
}

/** `diff`: the two locks compared, a mapping that does not apply being bad input. */
export function diffForCli(
  before: MachineLock,
  after: MachineLock,
  map: Record<string, string>,
): MachineDiff {
  if (before.machine !== after.machine) {
    throw new CliInputError(
      `the two sides are different machines ('${before.machine}' and '${after.machine}')`,
    );
  }
  try {
    return diffLocks(before, after, map);
  } catch (err) {
    if (err instanceof StateMappingError) throw new CliInputError(err.message);
    throw err;
  }
}
