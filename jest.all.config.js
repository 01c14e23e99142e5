/**
 * The full tier, `npm run test:all` (what `.ci/run` runs): the fast tier on SQLite, PostgreSQL
 * and MariaDB (one server each for the whole run, started by test/setup/servers.mjs unless given),
 * plus the races, the faults, the packed tarball and the browser.
 */
import fast from './jest.config.js';

export default {
  ...fast,
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: '<rootDir>/test/setup/servers.mjs',
  globalTeardown: '<rootDir>/test/setup/servers-teardown.mjs',
};
