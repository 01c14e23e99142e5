import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyStateMachine } from 'xstate';
import {
  machineFromDefinition,
  MachineDefinitionError,
  type Finding,
  type MachineImplementations,
} from '../core/index.js';
import { formatPath } from '../core/definition/definition-error.js';
import { finding } from '../core/lint/lint-machine.js';

/** Bad input to the CLI (a file missing, not a machine, not parsing): one line, exit 2. */
export class CliInputError extends Error {
  override readonly name = 'CliInputError';
}

export interface LoadedMachineFile {
  readonly file: string;
  /** The machines the file defines (a .ts file may export several). */
  readonly machines: AnyStateMachine[];
  /** Problems found while loading (a JSON definition's schema errors, unknown targets, ...). */
  readonly findings: Finding[];
  /** True when implementations were checked while loading (JSON), so lint need not again. */
  readonly implementationsChecked: boolean;
}

const MACHINE_FILE = /\.machine\.(ts|mts|js|mjs|json)$/;

/** Files named `*.machine.{ts,json,js}` in the given files and folders (recursively). */
export function findMachineFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p))
      throw new CliInputError(
        `${p}: no such file or folder (expected a *.machine.ts or *.machine.json file, or a folder of them)`,
      );
    if (statSync(p).isDirectory()) {
      const walk = (dir: string) => {
        for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
          a.name.localeCompare(b.name),
        )) {
          if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.'))
            continue;
          const full = join(dir, entry.name);
          if (entry.isDirectory()) walk(full);
          else if (MACHINE_FILE.test(entry.name)) out.push(full);
        }
      };
      walk(p);
    } else out.push(p);
  }
  return out;
}

function isMachine(value: unknown): value is AnyStateMachine {
  return (
    !!value &&
    typeof value === 'object' &&
    'root' in value &&
    'config' in value &&
    typeof (value as { transition?: unknown }).transition === 'function'
  );
}

/** Imports a module; `.ts` files go through tsx, so they need no build step. */
async function importModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(resolve(file)).href;
  if (/\.m?ts$/.test(file)) {
    let tsImport: (specifier: string, parent: string) => Promise<Record<string, unknown>>;
    try {
      ({ tsImport } = (await import('tsx/esm/api')) as never);
    } catch {
      throw new CliInputError(
        `${file}: loading TypeScript machine files needs tsx (npm install --save-dev tsx)`,
      );
    }
    try {
      return await tsImport(url, import.meta.url);
    } catch (err) {
      // Where loader hooks cannot be registered (a test runner with its own TypeScript transform),
      // the host already imports TypeScript: let it.
      if (/module\.register\(\) is not supported/.test(errorMessage(err)))
        return import(url) as Promise<Record<string, unknown>>;
      throw err;
    }
  }
  return import(url) as Promise<Record<string, unknown>>;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The implementations for `X.machine.json`: the exports of a sibling `X.implementations.{ts,js}`. */
async function implementationsFor(file: string): Promise<MachineImplementations | undefined> {
  const base = join(dirname(file), basename(file).replace(/\.machine\.json$/, ''));
  for (const ext of [
    '.implementations.ts',
    '.implementations.mts',
    '.implementations.js',
    '.implementations.mjs',
  ]) {
    if (!existsSync(base + ext)) continue;
    const mod = await importModule(base + ext);
    return (mod.implementations ?? mod.default) as MachineImplementations;
  }
  return undefined;
}

/** Loads one machine file; throws `CliInputError` for input that is not a machine file at all. */
export async function loadMachineFile(file: string): Promise<LoadedMachineFile> {
  if (!existsSync(file))
    throw new CliInputError(
      `${file}: no such file (expected a *.machine.ts or *.machine.json file)`,
    );
  if (file.endsWith('.json')) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new CliInputError(
        `${file}: does not parse as JSON (${(err as Error).message}); expected a machine definition`,
      );
    }
    if (
      !json ||
      typeof json !== 'object' ||
      Array.isArray(json) ||
      !('states' in json || 'id' in json)
    ) {
      throw new CliInputError(
        `${file}: is not a machine definition (expected an object with "id" and "states")`,
      );
    }
    const implementations = await implementationsFor(file);
    try {
      return {
        file,
        machines: [machineFromDefinition(json, implementations ?? {}, file).machine],
        findings: [],
        implementationsChecked: true,
      };
    } catch (err) {
      if (!(err instanceof MachineDefinitionError)) throw err;
      const findings = err.issues.map((i) =>
        finding(
          i.code === 'invalid-json' || i.code === 'xstate' ? 'load-error' : i.code,
          formatPath(i.path),
          i.message,
        ),
      );
      // Only names without implementations: build with stand-ins to run the structural checks too.
      const onlyNames = err.issues.every(
        (i) => i.code === 'unknown-guard' || i.code === 'unknown-action',
      );
      if (!onlyNames) return { file, machines: [], findings, implementationsChecked: true };
      const stub = stubImplementations(json);
      return {
        file,
        machines: [machineFromDefinition(json, stub, file).machine],
        findings,
        implementationsChecked: true,
      };
    }
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (err) {
    if (err instanceof CliInputError) throw err;
    const message = errorMessage(err)
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(0, 3)
      .join(' ');
    // XState checks targets when the machine is created, so a bad target fails the import itself.
    if (/Invalid transition definition|is not a valid target|does not exist on/.test(message)) {
      return {
        file,
        machines: [],
        findings: [
          finding('unknown-target', '(root)', `${message}. Fix the target or add the state`),
        ],
        implementationsChecked: false,
      };
    }
    throw new CliInputError(
      `${file}: could not be loaded (${message}); expected a module exporting an XState machine`,
    );
  }
  const machines = [...new Set(Object.values(mod).filter(isMachine))];
  if (!machines.length) {
    throw new CliInputError(
      `${file}: exports no XState machine (expected a default or named export of createMachine() or setup().createMachine())`,
    );
  }
  return { file, machines, findings: [], implementationsChecked: false };
}

/** Stand-in implementations for every guard and action name a definition uses. */
function stubImplementations(json: unknown): MachineImplementations {
  const guards: Record<string, () => boolean> = {};
  const actions: Record<string, () => void> = {};
  const guard = (g: unknown): void => {
    if (typeof g === 'string') guards[g] = () => false;
    else if (g && typeof g === 'object') {
      const o = g as Record<string, unknown>;
      if (typeof o.type === 'string') guards[o.type] = () => false;
      for (const list of [o.and, o.or]) if (Array.isArray(list)) list.forEach(guard);
      if (o.not !== undefined) guard(o.not);
    }
  };
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(walk);
      return;
    }
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'guard') guard(x);
      else if (k === 'actions' || k === 'entry' || k === 'exit') {
        for (const name of Array.isArray(x) ? x : [x])
          if (typeof name === 'string') actions[name] = () => undefined;
      } else walk(x);
    }
  };
  walk(json);
  return { guards, actions };
}
