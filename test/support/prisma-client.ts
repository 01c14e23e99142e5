import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { PrismaClientLike, PrismaProvider } from '../../src/store/prisma/index.js';

const require = createRequire(import.meta.url);

export type GeneratedClient = new (options: { adapter: unknown }) => PrismaClientLike & {
  $disconnect(): Promise<void>;
};

const generated = new Map<PrismaProvider, GeneratedClient>();

/**
 * The Prisma client generated from test/fixtures/prisma/<provider>/schema.prisma (Prisma 7,
 * `prisma generate` run here, once per process). Offline: generation does not use the schema
 * engine Prisma would download, so PRISMA_SCHEMA_ENGINE_BINARY points it at /bin/true.
 */
export function generatedClient(provider: PrismaProvider): GeneratedClient {
  const known = generated.get(provider);
  if (known) return known;
  const schema = fileURLToPath(
    new URL(`../fixtures/prisma/${provider}/schema.prisma`, import.meta.url),
  );
  execFileSync(
    process.execPath,
    [require.resolve('prisma/build/index.js'), 'generate', '--schema', schema],
    {
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true',
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
      },
      stdio: 'pipe',
    },
  );
  const client = requireGeneratedClient(provider);
  generated.set(provider, client);
  return client;
}

/** The client `generatedClient()` generated before (in this process or another), without generating it. */
export function requireGeneratedClient(provider: PrismaProvider): GeneratedClient {
  const dir = fileURLToPath(new URL(`../fixtures/prisma/${provider}/client`, import.meta.url));
  return (require(dir) as { PrismaClient: GeneratedClient }).PrismaClient;
}
