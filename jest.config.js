/**
 * The fast tier, `npm test`: everything a change needs to be trusted on one database (unit,
 * property, e2e on Express and Fastify, conformance, docs) on SQLite. `npm run test:all`
 * (jest.all.config.js) adds PostgreSQL and MariaDB, races, faults, the packed tarball and the
 * browser. Jest 30 in ESM mode (node --experimental-vm-modules).
 */
process.env.TG_DATABASES = 'sqlite';

export const FULL_TIER_ONLY = [
  '/test/race/',
  '/test/fault/',
  '/test/package/',
  '/test/browser/',
  '/test/db/',
  '/test/broker/',
  '/test/machines/',
];

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...FULL_TIER_ONLY],
  // Suites start servers and child processes: both cores of a 2-core machine.
  maxWorkers: 2,
  testTimeout: 60_000,
  moduleNameMapper: {
    '^nestjs-transition-guard/core$': '<rootDir>/src/core/index.ts',
    '^nestjs-transition-guard$': '<rootDir>/src/index.ts',
    '^nestjs-transition-guard/store$': '<rootDir>/src/store/index.ts',
    '^nestjs-transition-guard/typeorm$': '<rootDir>/src/store/typeorm/index.ts',
    '^nestjs-transition-guard/drizzle$': '<rootDir>/src/store/drizzle/index.ts',
    '^nestjs-transition-guard/prisma$': '<rootDir>/src/store/prisma/index.ts',
    '^nestjs-transition-guard/mikro-orm$': '<rootDir>/src/store/mikro-orm/index.ts',
    '^nestjs-transition-guard/event-emitter$': '<rootDir>/src/bridges/event-emitter.ts',
    '^nestjs-transition-guard/cqrs$': '<rootDir>/src/bridges/cqrs.ts',
    '^nestjs-transition-guard/testing$': '<rootDir>/src/testing/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
};
