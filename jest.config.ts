import type { Config } from 'jest';

type Project = NonNullable<Config['projects']>[number] & object;

/**
 * Tests that need neither a Temporal dev server, nor the workflow bundle, nor the built CLI
 * (paths, as regular expressions). Everything else is the integration tier.
 */
const UNIT = [
  '/test/unit/.*\\.test\\.ts$',
  '/test/activities/.*\\.test\\.ts$',
  '/test/api/report-coalescer\\.test\\.ts$',
  '/test/deploy/.*\\.test\\.ts$',
  '/test/runtime/credentials\\.test\\.ts$',
  '/test/devtools/.*\\.test\\.ts$',
];

const shared: Project = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  // ES-module-only packages under Fastify's plugins, which Jest's CommonJS runtime cannot load.
  moduleNameMapper: {
    '^content-disposition$': '<rootDir>/test/support/esm-stubs/content-disposition.ts',
    '^cookie$': '<rootDir>/test/support/esm-stubs/cookie.ts',
  },
};

const config: Config = {
  projects: [
    { ...shared, displayName: 'unit', testRegex: UNIT },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...UNIT],
      // One Temporal dev server and one workflow bundle, only when this project runs.
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
