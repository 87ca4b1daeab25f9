// @ts-check
/**
 * Mutation testing (issue 26): `npm run test:mutation`. Mutates the modules that decide or guard and runs the
 * tests in test/mutation/vitest.config.ts against each mutant. Scores per module go to TESTING.md.
 * `npm run test:mutation -- --mutate 'services/promoter/src/domain/duration.ts'` narrows a run.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'test/mutation/vitest.config.ts', related: false },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  concurrency: 2,
  mutate: [
    'services/promoter/src/domain/**/*.ts',
    '!services/promoter/src/domain/**/*.test.ts',
    '!services/promoter/src/domain/**/fixtures/**',
    'services/promoter/src/http/access.ts',
    'services/promoter/src/http/auth.ts',
  ],
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // A second run re-tests only the mutants whose code or covering tests changed (Stryker's incremental
  // mode); a fresh clone has no such file and runs everything; `-- --force` runs everything anyway.
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 85, break: null },
  ignoreStatic: true,
};
