/**
 * The tests StrykerJS runs against each mutant: the fast ones that exercise the modules under mutation
 * (unit tests beside the code, the engine core's in-memory tests, and the auth/scope suites through the real
 * HTTP stack, which need PostgreSQL as `npm test` does). Slow suites (browsers, kill -9, outages) stay out: they guard other things.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: [
      'services/promoter/src/**/*.test.ts',
      'test/core/**/*.test.ts',
      // access.ts and auth.ts decide through the HTTP stack: these suites (PostgreSQL, inject) judge them.
      'test/security/scopes.test.ts',
      'test/api/security.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
