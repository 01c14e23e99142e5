import { readmeWithDiagrams } from '../../../scripts/diagrams.js';

describe('README diagrams', () => {
  it('are up to date with machines/ (run npm run diagrams)', async () => {
    const { current, updated } = await readmeWithDiagrams();
    expect(updated).toContain('```mermaid\nstateDiagram-v2');
    expect(current).toBe(updated);
  });
});
