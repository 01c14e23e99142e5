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

/**
 * A resource definition a checked file exports (`defineResource({ resource, machine, store })`):
 * which machine it runs, and whether it has a store (the timers of `after` need one).
 */
export interface DeclaredResource {
  readonly file: string;
  readonly resource: string;
  readonly machineId: string;
  readonly store: boolean;
}

export interface LoadedMachineFile {
  readonly file: string;
  /** The machines the file defines (a .ts file may export several). */
  readonly machines: AnyStateMachine[];
  /** The resource definitions it exports too (a .ts file may declare its resource beside it). */
  readonly resources: DeclaredResource[];
  /** Problems found while loading (a JSON definition's schema errors, unknown targets, ...). */
  readonly findings: Finding[];
  /** True when implementations were checked while loading (JSON), so lint need not again. */
  readonly implementationsChecked: boolean;
}

const MACHINE_FILE = /\.machine\.(ts|mts|js|mjs|json)$/;
const RESOURCE_FILE = /\.resource\.(ts|mts|js|mjs)$/;

/** Files named `*.machine.{ts,json,js}` in the given files and folders (recursively). */
export function findMachineFiles(paths: readonly string[]): string[] {
  return findFiles(paths, MACHINE_FILE, true);
}

/** Files named `*.resource.{ts,js}` in the given files and folders (recursively). */
export function findResourceFiles(paths: readonly string[]): string[] {
  return findFiles(paths, RESOURCE_FILE, false);
}

/** The files named after `pattern` under the folders; a file given itself is kept if `anyFile`. */
function findFiles(paths: readonly string[], pattern: RegExp, anyFile: boolean): string[] {
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
          else if (pattern.test(entry.name)) out.push(full);
        }
      };
      walk(p);
    } else if (anyFile || pattern.test(p)) out.push(p);
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

/** The resource definitions among a module's exports. */
function resourcesOf(mod: Record<string, unknown>, file: string): DeclaredResource[] {
  return Object.values(mod).flatMap((value): DeclaredResource[] => {
    if (!value || typeof value !== 'object') return [];
    const r = value as { resource?: unknown; machine?: unknown; store?: unknown };
    if (typeof r.resource !== 'string' || !isMachine(r.machine)) return [];
    return [{ file, resource: r.resource, machineId: r.machine.id, store: r.store !== undefined }];
  });
}

/**
 * Loads a `*.resource.ts` file for its resource definitions (the app's module: it imports what the
 * resource does, its store's class included). A file that cannot load is bad input.
 */
export async function loadResourceFile(file: string): Promise<DeclaredResource[]> {
  try {
    return resourcesOf(await importModule(file), file);
  } catch (err) {
    if (err instanceof CliInputError) throw err;
    throw new CliInputError(
      `${file}: could not be loaded (${errorMessage(err).split('\n')[0]}); expected a module exporting defineResource() definitions`,
    );
  }
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
        resources: [],
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
      if (!onlyNames)
        return { file, machines: [], resources: [], findings, implementationsChecked: true };
      const stub = stubImplementations(json);
      return {
        file,
        machines: [machineFromDefinition(json, stub, file).machine],
        resources: [],
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
        resources: [],
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
  return {
    file,
    machines,
    resources: resourcesOf(mod, file),
    findings: [],
    implementationsChecked: false,
  };
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
