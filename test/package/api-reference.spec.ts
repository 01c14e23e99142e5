import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { apiReference, root } from '../../scripts/docs.js';

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

describe('the API reference (docs/api, TypeDoc)', () => {
  it('is what TypeDoc makes of the TSDoc now (run npm run docs)', () => {
    const out = mkdtempSync(join(tmpdir(), 'tg-typedoc-'));
    try {
      apiReference(out);
      const fresh = files(out);
      const committed = files(join(root, 'docs/api'));
      expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
      for (const [name, text] of fresh)
        expect({ name, text: committed.get(name) }).toEqual({ name, text });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
