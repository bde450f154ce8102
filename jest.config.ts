import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  // ES-module-only packages under Fastify's plugins, which Jest's CommonJS runtime cannot load.
  moduleNameMapper: {
    '^content-disposition$': '<rootDir>/test/support/esm-stubs/content-disposition.ts',
    '^cookie$': '<rootDir>/test/support/esm-stubs/cookie.ts',
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
