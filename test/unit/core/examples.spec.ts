import { execFileSync } from 'node:child_process';

/** The README's core example runs and prints what the README says it prints. */
describe('examples/core/check-order.ts', () => {
  it('runs and prints the documented results', () => {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'examples/core/check-order.ts'],
      {
        encoding: 'utf8',
      },
    );
    expect(out).toContain("{ allowed: true, event: 'SHIP', from: 'paid', to: 'shipped' }");
    expect(out).toContain("reason: 'final-state'");
    expect(out).toContain("[ 'CANCEL', 'SHIP', 'REFUND' ]");
    expect(out).toContain("Cannot SHIP order: state 'cancelled' is final");
  });
});
