import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * The `transition-guard` sessions of docs/changing-machines.md, replayed: every `$ npx
 * transition-guard ...` line is run as written (from the sources, as the bin runs in a clone)
 * and its output must be the page's, line for line.
 */
const PAGES = ['docs/changing-machines.md'];

function sessions(): { page: string; command: string; expected: string }[] {
  return PAGES.flatMap((page) =>
    [...readFileSync(page, 'utf8').matchAll(/```console\n([\s\S]*?)```/g)].flatMap((m) => {
      const out: { page: string; command: string; expected: string }[] = [];
      for (const line of m[1].split('\n')) {
        if (line.startsWith('$ npx transition-guard ')) {
          out.push({ page, command: line.slice('$ npx transition-guard '.length), expected: '' });
        } else if (out.length) out[out.length - 1].expected += `${line}\n`;
      }
      return out;
    }),
  );
}

describe('the transition-guard sessions of the docs', () => {
  it('are there', () => {
    expect(sessions().length).toBeGreaterThanOrEqual(4);
  });

  it.each(sessions().map((s) => [s.page, s.command, s.expected] as const))(
    '%s: transition-guard %s',
    (_page, command, expected) => {
      const args = [...command.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
        encoding: 'utf8',
      });
      expect(`${r.stdout}${r.stderr}`.trimEnd()).toBe(expected.trimEnd());
    },
  );
});
