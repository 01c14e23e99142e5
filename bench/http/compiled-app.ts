/**
 * The benchmark app's process as an installed library runs: compiled by `tsc`, as `npm run build`
 * publishes it, instead of through tsx. tsx's esbuild transform keeps function names: every
 * closure created calls a `__name` helper, which cost the guarded route 10 to 15 µs of CPU per
 * request against 0 to 3 µs for a hand-written one (SQLite, Fastify, 2026-12-04), a cost no
 * installed copy of the library pays. Compiled once per benchmark run, into `.data/bench-build/`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../../test/support/processes.js';

const OUT = join(root, '.data', 'bench-build');
let built = false;

/** The node arguments that start the compiled benchmark app (`bench/http/serve.ts`). */
export function benchServerArgs(): string[] {
  if (!built) {
    execFileSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'bench/tsconfig.serve.json'],
      { cwd: root, stdio: 'inherit' },
    );
    // The Prisma clients are generated JavaScript, outside the compiled program: linked as they are.
    const fixtures = join(OUT, 'test', 'fixtures');
    if (!existsSync(fixtures)) {
      mkdirSync(join(OUT, 'test'), { recursive: true });
      symlinkSync(join(root, 'test', 'fixtures'), fixtures);
    }
    built = true;
  }
  return [join(OUT, 'bench', 'http', 'serve.js')];
}
