import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `nestjs-transition-guard/core` must load in a worker or CLI without NestJS. This walks the
 * import graph from src/core/index.ts and fails on any `@nestjs/*` import, static or dynamic.
 */
const here = dirname(fileURLToPath(import.meta.url));
const entry = resolve(here, '../../../src/core/index.ts');
const importRe =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

function graph(file: string, seen = new Set<string>(), bare = new Set<string>()) {
  if (seen.has(file)) return { seen, bare };
  seen.add(file);
  // Comments hold @example imports of the public package; only code counts.
  const source = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  for (const m of source.matchAll(importRe)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith('.'))
      graph(resolve(dirname(file), spec.replace(/\.js$/, '.ts')), seen, bare);
    else bare.add(spec);
  }
  return { seen, bare };
}

describe('core has no NestJS dependency', () => {
  it('imports no @nestjs package anywhere in its graph', () => {
    const { seen, bare } = graph(entry);
    expect(seen.size).toBeGreaterThan(5);
    expect([...bare].filter((s) => s.startsWith('@nestjs/'))).toEqual([]);
    expect(
      [...bare].filter((s) => !['xstate', 'zod'].includes(s) && !s.startsWith('node:')),
    ).toEqual([]);
  });
});
