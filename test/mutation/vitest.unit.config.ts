/**
 * The quick mutation loop (issue 26): only the unit tests beside the mutated modules, no engine core and no
 * HTTP suites. A mutant these tests kill is killed by the full set too, so a score measured here is a lower
 * bound of `npm run test:mutation`'s; it is what a module's own tests are worth on their own. Used by
 * stryker.unit.config.mjs.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['services/promoter/src/domain/**/*.test.ts', 'services/promoter/src/http/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
