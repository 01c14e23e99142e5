import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { docPages } from './doc-pages.js';

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_~]/g, '')
    .replace(/[^\p{L}\p{N}\- ]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(page: string): Set<string> {
  const text = readFileSync(page, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#+ (.*)$/gm)].map((m) => slug(m[1])));
}

describe('links of the README and the docs', () => {
  it.each(docPages())(
    '%s: every relative link reaches a file, and its anchor a heading',
    (page) => {
      const text = readFileSync(page, 'utf8').replace(/```[\s\S]*?```/g, '');
      const broken: string[] = [];
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?|mailto):/.test(target)) continue;
        const [path, anchor] = target.split('#');
        const file = path ? normalize(join(dirname(page), path)) : page;
        if (!existsSync(file)) {
          broken.push(`${target}: no such file`);
          continue;
        }
        if (
          anchor &&
          statSync(file).isFile() &&
          file.endsWith('.md') &&
          !anchorsOf(file).has(anchor)
        ) {
          broken.push(`${target}: no heading '${anchor}' in ${file}`);
        }
      }
      expect(broken).toEqual([]);
    },
  );
});
