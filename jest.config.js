/** Jest 30 in ESM mode: run through `npm test` (node --experimental-vm-modules). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  // Each suite starts its own servers; a race suite may run for a while.
  testTimeout: 60_000,
  moduleNameMapper: {
    '^nestjs-transition-guard/core$': '<rootDir>/src/core/index.ts',
    '^nestjs-transition-guard$': '<rootDir>/src/index.ts',
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
