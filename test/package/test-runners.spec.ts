import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { root } from '../support/processes.js';
import { packedTarball, versionOf } from './packed.js';

/**
 * The testing kit in the two runners Nest apps use, as docs/testing.md sets them up: a fresh app
 * that installed the packed package, the complete example of docs/getting-started.md as its
 * sources, and the docs' test files, run by Jest in ESM mode and by Vitest. Each block is taken
 * from the docs by the file name its first line gives, so the docs are what runs.
 */
function docFiles(page: string): Map<string, string> {
  const text = readFileSync(join(root, page), 'utf8');
  const files = new Map<string, string>();
  for (const m of text.matchAll(/```(?:ts|js)\n\/\/ ([\w./-]+)\n([\s\S]*?)```/g)) {
    files.set(m[1], `// ${m[1]}\n${m[2]}`);
  }
  return files;
}

describe('the testing kit in a fresh app', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-runners-'));
    const packed = await packedTarball();
    copyFileSync(packed.tarball, join(dir, 'package.tgz'));
    const deps = [
      '@nestjs/common',
      '@nestjs/core',
      '@nestjs/platform-express',
      '@nestjs/testing',
      '@nestjs/typeorm',
      'typeorm',
      'reflect-metadata',
      'rxjs',
      'xstate',
      'zod',
      'supertest',
    ];
    const dev = ['jest', 'ts-jest', '@types/jest', '@types/supertest', 'typescript', 'vitest'];
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'fresh-nest-app',
        private: true,
        type: 'module',
        scripts: { test: 'node --experimental-vm-modules node_modules/jest/bin/jest.js' },
        dependencies: {
          'nestjs-transition-guard': 'file:./package.tgz',
          ...Object.fromEntries(deps.map((d) => [d, versionOf(d)])),
        },
        devDependencies: Object.fromEntries(dev.map((d) => [d, versionOf(d)])),
      }),
    );
    execFileSync(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
      {
        cwd: dir,
        stdio: 'pipe',
      },
    );
    const sources = docFiles('docs/getting-started.md');
    const tests = docFiles('docs/testing.md');
    const wanted = [
      ...[
        'order.machine',
        'order.entity',
        'order.store',
        'order.resource',
        'orders.controller',
      ].map((f) => `src/orders/${f}.ts`),
      'jest.config.mjs',
      'vitest.config.mts',
      'test/order.machine.spec.ts',
      'test/orders.controller.spec.ts',
      'test/vitest-matchers.d.ts',
      'test/order.machine.vitest.ts',
      'test/orders.controller.vitest.ts',
    ];
    for (const file of wanted) {
      const code = sources.get(file) ?? tests.get(file);
      if (!code)
        throw new Error(`no block '// ${file}' in docs/getting-started.md or docs/testing.md`);
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), code);
    }
    // The Nest starter's compiler settings, ESM as Nest 12 is (what ts-jest compiles with).
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'ES2023',
          declaration: true,
          emitDecoratorMetadata: true,
          experimentalDecorators: true,
          isolatedModules: true,
          skipLibCheck: true,
          strictNullChecks: true,
          esModuleInterop: true,
          types: ['node', 'jest'],
        },
      }),
    );
  }, 600_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs in Jest, ESM mode, as the docs configure it', () => {
    const jest = spawnSync('npm', ['test', '--', '--colors=false', '--verbose'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const out = jest.stdout + jest.stderr;
    expect({ status: jest.status, out }).toEqual({
      status: 0,
      out: expect.stringMatching(/Tests:\s+2 passed, 2 total/),
    });
    expect(out).toMatch(/PASS test\/order\.machine\.spec\.ts/);
    expect(out).toMatch(/PASS test\/orders\.controller\.spec\.ts/);
  }, 120_000);

  it('runs in Vitest, as the docs configure it', () => {
    const out = execFileSync(join(dir, 'node_modules/.bin/vitest'), ['run', '--reporter=verbose'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    expect(out).toMatch(/✓ .*order\.machine\.vitest\.ts/);
    expect(out).toMatch(/✓ .*orders\.controller\.vitest\.ts/);
    expect(out).toMatch(/Tests\s+2 passed/);
  }, 120_000);
});
