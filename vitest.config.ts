import { configDefaults, defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/slow-first-sequencer.js';

const UNIT = ['services/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts'];
const NOCK = '{services,packages}/*/src/**/*.nock.test.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites mostly wait (polls, soaks, bakes, child processes): three at once keep two cores
    // busier. Measured on this 2-core machine, 2026-12-05: 947 s with 3 workers, 1,019 s with 2, all green.
    maxWorkers: 3,
    pool: 'forks',
    // The longest suites start first, so none runs alone at the end (test/slow-first-sequencer.ts).
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      {
        extends: true,
        // The modules' own tests share their worker's modules instead of importing them again per file:
        // importing per file cost more than the tests (measured 2026-12-06: 75 s of CPU with isolation, 42 s
        // without, for the same 1,919 tests). None mocks a module; the ones that patch Node's http with nock
        // (`*.nock.test.ts`, active from import to the end of the process) run isolated below, or every later
        // file in their worker would get nock's sockets (a keep-alive test saw 5 connections for 5 calls).
        test: { name: 'unit', include: UNIT, exclude: [...configDefaults.exclude, NOCK], isolate: false },
      },
      { extends: true, test: { name: 'unit-nock', include: [NOCK] } },
      // The system's tests start services, fakes and processes: each file keeps its own module state.
      { extends: true, test: { name: 'system', include: ['test/**/*.test.ts'] } },
    ],
  },
});
