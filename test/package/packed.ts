import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { root } from '../support/processes.js';

/** What `npm pack` made: the tarball's path and the files it holds. */
export interface Packed {
  readonly tarball: string;
  readonly files: readonly string[];
}

const dir = join(root, '.pack');

/**
 * The package packed once per test run, whichever suite asks first (`npm pack` builds `dist/`:
 * two at once would write it together). The first caller takes a lock directory and packs; the
 * others wait for its result. A run's packs are told apart by the parent process (Jest's).
 */
export async function packedTarball(): Promise<Packed> {
  const run = String(process.ppid);
  const result = join(dir, `${run}.json`);
  mkdirSync(dir, { recursive: true });
  try {
    mkdirSync(join(dir, `${run}.lock`));
  } catch {
    for (let waited = 0; !existsSync(result); waited += 250) {
      if (waited > 240_000) throw new Error('the package was not packed within 4 minutes');
      await sleep(250);
    }
    return JSON.parse(readFileSync(result, 'utf8')) as Packed;
  }
  for (const old of readdirSync(dir)) {
    if (!old.startsWith(run)) rmSync(join(dir, old), { recursive: true, force: true });
  }
  const out = join(dir, run);
  mkdirSync(out, { recursive: true });
  const packed = (
    JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', out], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    ) as { filename: string; files: { path: string }[] }[]
  )[0];
  const value: Packed = {
    tarball: join(out, packed.filename),
    files: packed.files.map((f) => f.path),
  };
  writeFileSync(result, JSON.stringify(value));
  return value;
}

/** The version of a package this repository installed: fresh apps pin the same. */
export const versionOf = (name: string): string =>
  (
    JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
