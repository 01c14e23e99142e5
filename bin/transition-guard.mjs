#!/usr/bin/env node
// The `transition-guard` command. In a clone of the repository (src/ beside this file) it runs the
// sources through tsx, a dev dependency, so that `npx transition-guard check machines` works right
// after `npm install` and never runs a stale build; in an installed package, the built CLI.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(fileURLToPath(source))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
