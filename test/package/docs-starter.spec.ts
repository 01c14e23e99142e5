import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docBlocks } from '../docs/doc-pages.js';

/**
 * Every TypeScript block of the README and the docs, compiled as a fresh NestJS app compiles
 * them: the Nest starter's compiler settings (`declaration: true` among them, with declarations
 * emitted, which is where TS2883 "cannot be named" shows), against the built package resolved
 * through its `exports` map as an installed dependency, not against the sources.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// Inside the repository, so that the other packages resolve from its node_modules.
const project = join(root, '.docs-starter');

/** The compiler options of the Nest starter (NestJS's typescript-starter), ESM as Nest 12 is. */
const STARTER = {
  module: 'nodenext',
  moduleResolution: 'nodenext',
  resolvePackageJsonExports: true,
  esModuleInterop: true,
  isolatedModules: true,
  declaration: true,
  removeComments: true,
  emitDecoratorMetadata: true,
  experimentalDecorators: true,
  allowSyntheticDefaultImports: true,
  target: 'ES2023',
  sourceMap: true,
  skipLibCheck: true,
  strictNullChecks: true,
  forceConsistentCasingInFileNames: true,
  noImplicitAny: false,
  strictBindCallApply: false,
  noFallthroughCasesInSwitch: false,
};

describe('the docs in a fresh NestJS app', () => {
  let built: string;
  beforeAll(() => {
    built = mkdtempSync(join(tmpdir(), 'tg-built-'));
    execFileSync(
      process.execPath,
      [
        join(root, 'node_modules/typescript/bin/tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        join(built, 'dist'),
      ],
      { cwd: root, stdio: 'pipe' },
    );
    cpSync(join(root, 'package.json'), join(built, 'package.json'));
  }, 180_000);
  afterAll(() => {
    rmSync(built, { recursive: true, force: true });
    rmSync(project, { recursive: true, force: true });
  });

  it('compile with the Nest starter\u2019s settings, declarations emitted, against the built package', () => {
    rmSync(project, { recursive: true, force: true });
    const blocks = docBlocks(root);
    for (const { file, code } of blocks) {
      mkdirSync(dirname(join(project, file)), { recursive: true });
      writeFileSync(join(project, file), code);
    }
    cpSync(join(root, 'machines'), join(project, 'machines'), { recursive: true });
    cpSync(join(root, 'machines'), join(project, 'snippets/machines'), { recursive: true });
    mkdirSync(join(project, 'node_modules'), { recursive: true });
    symlinkSync(built, join(project, 'node_modules/nestjs-transition-guard'), 'dir');
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'fresh-app', type: 'module' }),
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          ...STARTER,
          emitDeclarationOnly: true,
          outDir: join(project, 'out'),
          rootDir: project,
          types: ['node', 'jest'],
          typeRoots: [join(root, 'node_modules/@types')],
        },
        include: ['**/*.ts'],
        exclude: ['node_modules', 'out'],
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', project],
      {
        encoding: 'utf8',
      },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 180_000);
});
