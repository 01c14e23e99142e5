import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packedTarball, versionOf } from './packed.js';

/**
 * `npm pack` the package, install the tarball into a fresh NestJS 12 app (a temp folder with its
 * own package.json and node_modules, from the npm registry or its cache), and run a 409 there.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('the packed tarball in a fresh NestJS 12 app', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tg-pack-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs, imports both entry points, and answers 409', async () => {
    const packed = await packedTarball();
    const files = packed.files;
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/core/index.d.ts');
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('dist/store/typeorm/index.js');
    expect(files).toContain('dist/store/drizzle/index.js');
    expect(files).toContain('dist/store/prisma/index.js');
    expect(files).toContain('dist/store/mikro-orm/index.js');
    expect(files).toContain('dist/testing/index.js');
    expect(files).toContain('dist/bridges/event-emitter.js');
    expect(files).toContain('dist/bridges/cqrs.js');
    expect(files).toContain('bin/transition-guard.mjs');
    expect(files.some((f) => f.startsWith('src/') || f.startsWith('test/'))).toBe(false);
    copyFileSync(packed.tarball, join(dir, 'package.tgz'));
    const deps = [
      '@nestjs/common',
      '@nestjs/core',
      '@nestjs/platform-express',
      'reflect-metadata',
      'rxjs',
      'xstate',
      'zod',
    ];
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'fresh-nest-app',
        private: true,
        type: 'module',
        dependencies: {
          'nestjs-transition-guard': 'file:./package.tgz',
          ...Object.fromEntries(deps.map((d) => [d, versionOf(d)])),
        },
      }),
    );
    execFileSync(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
      { cwd: dir, stdio: 'pipe' },
    );
    copyFileSync(join(root, 'test/package/fresh-app.mjs'), join(dir, 'app.mjs'));
    const out = JSON.parse(
      execFileSync(process.execPath, ['app.mjs'], { cwd: dir, encoding: 'utf8' }),
    );
    expect(out.refused.status).toBe(409);
    expect(out.refused.body).toMatchObject({
      code: 'ILLEGAL_TRANSITION',
      message: 'Cannot SHIP order 42: it is cancelled',
      currentState: 'cancelled',
      reason: 'final-state',
    });
    expect(out.allowed).toEqual({ status: 200, body: { shipped: '7', to: 'shipped' } });
    expect(out.testing).toBe('function');
    // The ORMs are optional peers: installing the package pulls none of them, the Prisma entry
    // point (which imports nothing from Prisma) loads without them, and an ORM's entry point
    // names the package it needs.
    for (const orm of [
      'typeorm',
      'drizzle-orm',
      'prisma',
      '@prisma/client',
      '@mikro-orm/core',
      '@nestjs/event-emitter',
      '@nestjs/cqrs',
    ]) {
      expect(existsSync(join(dir, 'node_modules', orm))).toBe(false);
    }
    const entry = (name: string) =>
      spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import('${name}'); console.log(Object.keys(m).sort().join(','))`,
        ],
        { cwd: dir, encoding: 'utf8' },
      );
    expect(entry('nestjs-transition-guard/prisma').stdout).toContain('PrismaTransitionStore');
    const drizzle = entry('nestjs-transition-guard/drizzle');
    expect(drizzle.status).not.toBe(0);
    expect(drizzle.stderr).toMatch(/Cannot find package 'drizzle-orm'/);
    const bridge = entry('nestjs-transition-guard/event-emitter');
    expect(bridge.stderr).toMatch(/Cannot find package '@nestjs\/event-emitter'/);
    // Source maps carry their sources (src/ is not shipped), so stack traces resolve.
    const map = JSON.parse(
      readFileSync(join(dir, 'node_modules/nestjs-transition-guard/dist/index.js.map'), 'utf8'),
    ) as { sourcesContent?: string[] };
    expect(map.sourcesContent?.[0]).toContain('export');
    // The installed bin runs the built CLI.
    writeFileSync(
      join(dir, 'door.machine.json'),
      JSON.stringify({
        id: 'door',
        initial: 'closed',
        states: { closed: { on: { OPEN: 'open' } }, open: { on: { CLOSE: 'closed' } } },
      }),
    );
    expect(
      execFileSync(
        join(dir, 'node_modules/.bin/transition-guard'),
        ['check', 'door.machine.json'],
        {
          cwd: dir,
          encoding: 'utf8',
        },
      ),
    ).toContain('0 errors, 0 warnings in 1 file');
  }, 240_000);
});
