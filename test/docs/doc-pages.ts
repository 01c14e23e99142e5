import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The pages whose examples are tested: the README and every page under docs/, but the API
 * reference TypeDoc generates (docs/api: its examples are the TSDoc's fragments). Paths relative
 * to the repository's root.
 */
export function docPages(root = '.'): string[] {
  const pages = ['README.md'];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (path !== join('docs', 'api')) walk(path);
      } else if (entry.name.endsWith('.md')) pages.push(path);
    }
  };
  walk('docs');
  return pages.sort();
}

/**
 * Every TypeScript block of the pages, with the file it is written to: a block that starts with
 * a `// path/file.ts` comment there (blocks import each other, as the files of the complete
 * example do; each path belongs to one block), the others in `snippets/`.
 */
export function docBlocks(root = '.'): { page: string; file: string; code: string }[] {
  return docPages(root).flatMap((page) =>
    [...readFileSync(join(root, page), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m, i) => {
      const code = m[1];
      const header = /^\/\/ ([\w./-]+\.ts)\n/.exec(code);
      const name = page.replace(/\.md$/, '').replace(/[/\\]/g, '-');
      return { page, file: header ? header[1] : `snippets/${name}-${i + 1}.ts`, code };
    }),
  );
}
