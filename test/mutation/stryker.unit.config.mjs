// @ts-check
/**
 * The quick mutation loop for one module and its own unit tests (see vitest.unit.config.ts and
 * tsconfig.unit.json): minutes instead of the full run's hour, and a lower bound of the full run's score.
 * `npx stryker run test/mutation/stryker.unit.config.mjs --mutate services/promoter/src/domain/statistics/ranks.ts`
 * MUTATION_TYPECHECK=off leaves out the TypeScript checker, which costs three times the tests on a busy machine:
 * mutants that would not compile then run too, and count as killed or survived (a survivor that is a type
 * error is harmless by definition; the full run does not count it).
 * MUTATION_RUN=<name> keeps a run's report (reports/mutation/<name>.json) and sandbox apart from another
 * run's, so two modules can be measured at once.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
import base from './stryker.config.mjs';

const run = process.env.MUTATION_RUN;

export default {
  ...base,
  vitest: { ...base.vitest, configFile: 'test/mutation/vitest.unit.config.ts' },
  tsconfigFile: 'test/mutation/tsconfig.unit.json',
  ...(process.env.MUTATION_TYPECHECK === 'off' ? { checkers: [] } : {}),
  // Another run's sandbox (in .stryker-tmp or .tmp) is not part of the project to copy.
  ignorePatterns: ['/.stryker-tmp', '/.tmp'],
  ...(run ? { jsonReporter: { fileName: `reports/mutation/${run}.json` }, tempDirName: `.tmp/stryker-${run}` } : {}),
};
