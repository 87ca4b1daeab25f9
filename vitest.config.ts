import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/slow-first-sequencer.js';

export default defineConfig({
  test: {
    include: ['services/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites mostly wait (polls, soaks, bakes, child processes): three at once keep two cores
    // busier. Measured on this 2-core machine, 2026-12-05: 947 s with 3 workers, 1,019 s with 2, all green.
    maxWorkers: 3,
    pool: 'forks',
    // The longest suites start first, so none runs alone at the end (test/slow-first-sequencer.ts).
    sequence: { sequencer: SlowFirstSequencer },
  },
});
