/**
 * No import cycles in `src`: neither between files nor between the folders of `src/nest` (one
 * folder per pipeline stage; a stage imports the stages before it, never one after it). Type-only
 * imports count too: a cycle of types is still a knot a reader must untie. Part of `npm run lint`.
 *
 *   node --import tsx scripts/check-imports.ts        # exit 1 and the cycles when there are some
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

/** Every `.ts` file under `dir`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/g;

/** The relative imports of a file, as paths of `.ts` files. */
export function importsOf(file: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    found.push(resolve(dirname(file), match[1].replace(/\.js$/, '.ts')));
  }
  return found;
}

/** The cycles of a graph (each as the path that closes it), by depth-first search. */
export function cyclesOf(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

/** The folder of `src/nest` a file is in (`guard`, `commit`, ...), or undefined outside it. */
function stageOf(file: string): string | undefined {
  const parts = relative(join(src, 'nest'), file).split('/');
  return parts.length > 1 && parts[0] !== '..' ? parts[0] : undefined;
}

function main(): void {
  const files = new Map<string, ReadonlySet<string>>();
  const stages = new Map<string, Set<string>>();
  for (const file of filesUnder(src)) {
    const imports = importsOf(file, readFileSync(file, 'utf8'));
    files.set(file, new Set(imports));
    const from = stageOf(file);
    if (!from) continue;
    const edges = stages.get(from) ?? new Set<string>();
    stages.set(from, edges);
    for (const target of imports) {
      const to = stageOf(target);
      if (to && to !== from) edges.add(to);
    }
  }
  const show = (cycle: string[]) => cycle.map((f) => relative(root, f)).join(' -> ');
  const problems = [
    ...cyclesOf(files).map((c) => `files: ${show(c)}`),
    ...cyclesOf(stages).map((c) => `src/nest folders: ${c.join(' -> ')}`),
  ];
  if (problems.length) {
    console.error(`Import cycles (${problems.length}):\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`No import cycles (${files.size} files, ${stages.size} folders of src/nest).`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
