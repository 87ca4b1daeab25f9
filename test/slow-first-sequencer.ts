/**
 * Starts the suites that take longest first. On a fresh clone vitest has no timings cached and orders by
 * file size, so a small file that runs for minutes (the demo, the fresh-clone check) could start last and
 * run alone while the other worker idles. The list is of wall time measured in CI (seconds, 2026-12-05);
 * a suite missing from it keeps vitest's own order after these.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const SLOWEST_FIRST = [
  'test/demo/demo.test.ts', // 163 s
  'test/docs/fresh-clone.test.ts', // 148 s
  'test/security/repository-content.test.ts', // 78 s
  'test/console/console.browser.test.ts', // 75 s
  'test/gitops/git-delivery.test.ts', // 55 s
  'test/gitops/pull-request-delivery.e2e.test.ts', // 45 s
  'test/reliability/kill9.pglite.test.ts', // 42 s
  'test/service/data-dir-lock.test.ts', // 42 s
  'test/gitops/promotion-via-git.e2e.test.ts', // 38 s
  'test/gitops/argocd.e2e.test.ts', // 35 s
];

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = SLOWEST_FIRST.findIndex((path) => file.moduleId.endsWith(`/${path}`));
      return index === -1 ? SLOWEST_FIRST.length : index;
    };
    // Array.prototype.sort is stable: the rest keep vitest's order.
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
