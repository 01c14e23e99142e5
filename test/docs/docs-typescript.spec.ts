import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docBlocks as blocksOf } from './doc-pages.js';

/**
 * Every TypeScript block of the README and the docs, compiled against this package with
 * `tsc --noEmit`, so that no example can drift from the API. A block that starts with a
 * `// path/file.ts` comment is written there (blocks import each other, as the files of the
 * complete example do; each path belongs to one block); the others in `snippets/`, where
 * `machines/` is copied (the core examples import from it).
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// Outside node_modules (so that ts-jest transforms it) and outside test/ (its blocks are not our tests).
const project = join(root, '.docs-build');
const docBlocks = () => blocksOf(root);

describe('the TypeScript blocks of the README and the docs', () => {
  it('name each file once', () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const { page, file } of docBlocks()) {
      const first = seen.get(file);
      if (first) twice.push(`${file}: ${first} and ${page}`);
      seen.set(file, page);
    }
    expect(twice).toEqual([]);
  });

  it('all compile against the package', () => {
    const blocks = docBlocks();
    expect(blocks.length).toBeGreaterThan(20);
    rmSync(project, { recursive: true, force: true });
    for (const { file, code } of blocks) {
      mkdirSync(dirname(join(project, file)), { recursive: true });
      writeFileSync(join(project, file), code);
    }
    cpSync(join(root, 'machines'), join(project, 'machines'), { recursive: true });
    cpSync(join(root, 'machines'), join(project, 'snippets/machines'), { recursive: true });
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        extends: join(root, 'tsconfig.json'),
        compilerOptions: {
          rootDir: root,
          noEmit: true,
          types: ['node', 'jest'],
          typeRoots: [join(root, 'node_modules/@types')],
        },
        include: [`${project}/**/*.ts`],
        exclude: [],
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(project, 'tsconfig.json')],
      { encoding: 'utf8' },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 120_000);

  it('the complete example runs as the README says', async () => {
    const cwd = process.cwd();
    process.chdir(project); // the example's SQLite file lands there
    rmSync(join(project, 'app.sqlite'), { force: true });
    const { NestFactory } = await import('@nestjs/core');
    const { ExpressAdapter } = await import('@nestjs/platform-express');
    const { DataSource } = await import('typeorm');
    const { AppModule } = (await import(join(project, 'src/app.module.ts'))) as {
      AppModule: never;
    };
    const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
    try {
      await app.listen(0, '127.0.0.1');
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const db = app.get(DataSource);
      const newOrder = async () =>
        (
          (await db.query(
            `INSERT INTO orders (status, total, paid, version) VALUES ('pending', 10, 0, 0) RETURNING id`,
          )) as { id: number }[]
        )[0].id;
      const post = async (path: string, body: object = {}) => {
        const res = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const id = await newOrder();
      // Shipping an order whose payment does not cover it: no transition from pending.
      expect((await post(`/orders/${id}/ship`, { carrier: 'UPS' })).body).toMatchObject({
        status: 409,
        reason: 'no-transition',
      });
      expect((await post(`/orders/${id}/pay`, { amount: 4 })).body).toMatchObject({
        status: 'pending',
        paid: 4,
        version: 1,
      });
      expect((await post(`/orders/${id}/pay`, { amount: 6 })).body).toMatchObject({
        status: 'paid',
        paid: 10,
        version: 2,
      });
      const shipped = await post(`/orders/${id}/ship`, { carrier: 'UPS' });
      expect(shipped).toMatchObject({
        status: 200,
        body: { status: 'shipped', carrier: 'UPS', version: 3 },
      });
      // A cancelled order cannot be shipped: 409 final-state, in RFC 9457 form.
      const other = await newOrder();
      await post(`/orders/${other}/cancel`);
      const refused = await fetch(`${url}/orders/${other}/ship`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"carrier":"UPS"}',
      });
      expect(refused.status).toBe(409);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(await refused.json()).toMatchObject({
        reason: 'final-state',
        currentState: 'cancelled',
      });
      const got = await fetch(`${url}/orders/${id}`);
      expect(got.headers.get('etag')).toBe('"v3"');
      // 40 racing requests on one paid order: one winner.
      const racing = await newOrder();
      await post(`/orders/${racing}/pay`, { amount: 10 });
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          post(`/orders/${racing}/${i % 2 ? 'ship' : 'cancel'}`, i % 2 ? { carrier: 'UPS' } : {}),
        ),
      );
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 409)).toHaveLength(39);
    } finally {
      await app.close();
      process.chdir(cwd);
    }
  }, 60_000);
});
