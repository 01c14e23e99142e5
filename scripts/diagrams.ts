/**
 * `npm run diagrams`: writes the Mermaid diagram of every machine in machines/ into the README,
 * between the markers below. `--check` exits 1 when the README is stale (a test does the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createValidator, toMermaid } from '../src/core/index.js';
import { findMachineFiles, loadMachineFile } from '../src/cli/load-machine-file.js';

export const START = '<!-- diagrams:start (npm run diagrams writes this section) -->';
export const END = '<!-- diagrams:end -->';
const root = fileURLToPath(new URL('..', import.meta.url));

/** The README section: one heading and Mermaid block per machine, in file order. */
export async function renderDiagrams(): Promise<string> {
  const parts: string[] = [];
  for (const file of findMachineFiles([`${root}machines`])) {
    const { machines } = await loadMachineFile(file);
    for (const machine of machines) {
      const rel = file.slice(root.length);
      parts.push(
        `#### \`${machine.id}\` ([${rel}](${rel}))\n\n\`\`\`mermaid\n${toMermaid(createValidator(machine).describe())}\n\`\`\``,
      );
    }
  }
  return `${START}\n\n${parts.join('\n\n')}\n\n${END}`;
}

/** The README with its diagrams section replaced. */
export async function readmeWithDiagrams(): Promise<{ current: string; updated: string }> {
  const current = readFileSync(`${root}README.md`, 'utf8');
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  if (start < 0 || end < start)
    throw new Error(`README.md has no diagrams markers (${START} ... ${END})`);
  return {
    current,
    updated: current.slice(0, start) + (await renderDiagrams()) + current.slice(end + END.length),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { current, updated } = await readmeWithDiagrams();
  if (process.argv.includes('--check')) {
    if (current !== updated) {
      console.error('README.md diagrams are stale: run npm run diagrams');
      process.exitCode = 1;
    }
  } else if (current !== updated) {
    writeFileSync(`${root}README.md`, updated);
    console.log('README.md: diagrams updated');
  } else console.log('README.md: diagrams up to date');
}
