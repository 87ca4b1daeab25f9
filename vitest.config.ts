import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/slow-first-sequencer.js';

export default defineConfig({
  test: {
    include: ['services/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites start databases and servers; two cores do not like many at once.
    maxWorkers: 2,
    pool: 'forks',
    // The longest suites start first, so none runs alone at the end (test/slow-first-sequencer.ts).
    sequence: { sequencer: SlowFirstSequencer },
  },
});
