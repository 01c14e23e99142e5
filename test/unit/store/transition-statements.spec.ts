import { MYSQL, POSTGRES, SQLITE } from '../../../src/store/sql/dialect.js';
import { TransitionStatements } from '../../../src/store/sql/transition-statements.js';

const names = (table: string) => ({ table, column: (property: string) => property });
const statements = (dialect: typeof SQLITE, loaded?: readonly string[]) =>
  new TransitionStatements(
    dialect,
    {
      table: 'orders',
      id: 'id',
      state: 'status',
      version: 'version',
      selected: ['id', 'status', 'version', 'total', 'paid', 'note'],
      ...(loaded ? { loaded } : {}),
    },
    names('transition_log'),
    {
      outbox: names('transition_outbox'),
      handled: names('transition_handled'),
      timers: names('transition_timers'),
    },
  );

describe('TransitionStatements: what a load selects', () => {
  it.each([SQLITE, POSTGRES, MYSQL])(
    '%# narrows the load to the loaded columns, never the whole-row reads',
    (dialect) => {
      const narrow = statements(dialect, ['id', 'status', 'version', 'paid']);
      const q = (c: string) => dialect.quote(c);
      const list = (cols: string[]) => cols.map(q).join(', ');
      expect(narrow.load).toContain(`SELECT ${list(['id', 'status', 'version', 'paid'])} FROM`);
      // A write's row read back (MySQL's `returning`) and a commit found in doubt: every column.
      const whole = list(['id', 'status', 'version', 'total', 'paid', 'note']);
      expect(narrow.loadRow).toContain(`SELECT ${whole} FROM`);
      expect(narrow.lockAndLoadRow).toContain(`SELECT ${whole} FROM`);
      expect(narrow.lockAndLoad.startsWith(narrow.load)).toBe(true);
      // Without loaded columns, the load is the whole row.
      expect(statements(dialect).load).toBe(statements(dialect).loadRow);
    },
  );
});
