import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

/** A file served as it is, with its content type. */
export interface Asset {
  readonly type: string;
  readonly body: string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

/**
 * The files the docs page and the console need, from installed packages and the demo's public/
 * folder only: nothing comes from a CDN, everything works offline. Read once, on first use.
 */
const FILES: Record<string, () => string> = {
  'console.html': () => join(here, '../../public/console.html'),
  'console.js': () => join(here, '../../public/console.js'),
  'console.css': () => join(here, '../../public/console.css'),
  'mermaid.min.js': () => require.resolve('mermaid/dist/mermaid.min.js'),
  'swagger-ui.css': () =>
    join(dirname(require.resolve('swagger-ui-dist/package.json')), 'swagger-ui.css'),
  'swagger-ui-bundle.js': () =>
    join(dirname(require.resolve('swagger-ui-dist/package.json')), 'swagger-ui-bundle.js'),
};

const cache = new Map<string, Asset>();

/** The asset of that name, or undefined when there is none (a 404). */
export function asset(name: string): Asset | undefined {
  const path = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (!path) return undefined;
  let found = cache.get(name);
  if (!found) {
    const file = path();
    found = {
      type: TYPES[file.slice(file.lastIndexOf('.'))] ?? 'text/plain',
      body: readFileSync(file, 'utf8'),
    };
    cache.set(name, found);
  }
  return found;
}
