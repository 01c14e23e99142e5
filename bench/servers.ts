import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../test/support/processes.js';

/**
 * The PostgreSQL server the benchmark's rows run on: `TG_POSTGRES_URL`, else a throwaway cluster
 * started with scripts/pg-cluster.sh. The reason instead, when neither can be had: the benchmark
 * then prints which rows it left out.
 */
export function postgres(): { url: string; stop: () => void } | { skip: string } {
  if (process.env.TG_POSTGRES_URL)
    return { url: process.env.TG_POSTGRES_URL, stop: () => undefined };
  const parent = mkdtempSync(join(tmpdir(), 'tg-bench-pg-'));
  chmodSync(parent, 0o755); // the server runs as 'postgres' when run as root
  const dir = join(parent, 'cluster');
  const script = join(root, 'scripts/pg-cluster.sh');
  try {
    const out = execFileSync(script, ['start', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { url: out.trim().split('\n').pop()!, stop: () => execFileSync(script, ['stop', dir]) };
  } catch (err) {
    return {
      skip: `no PostgreSQL server: TG_POSTGRES_URL is unset and scripts/pg-cluster.sh failed (${String((err as { stderr?: unknown }).stderr ?? err).trim()})`,
    };
  }
}
