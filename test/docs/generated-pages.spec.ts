import { generatedPages } from '../../scripts/docs.js';

describe('the generated docs pages', () => {
  it('are up to date with machines/ and bench/results (run npm run docs)', async () => {
    const pages = await generatedPages();
    expect(pages.map((p) => p.path.replace(/.*\/docs\//, 'docs/'))).toEqual([
      'docs/machines.md',
      'docs/benchmarks.md',
    ]);
    for (const page of pages) {
      expect({ page: page.path, current: page.current }).toEqual({
        page: page.path,
        current: page.updated,
      });
    }
    expect(pages[0].updated).toContain('```mermaid\nstateDiagram-v2');
    expect(pages[1].updated).toContain('| (d1) hand-written, one conditional UPDATE |');
  });
});
