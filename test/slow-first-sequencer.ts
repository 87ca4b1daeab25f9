/**
 * Starts the suites that take longest first. On a fresh clone vitest has no timings cached and orders by
 * file size, so a small file that runs for minutes (the demo, the fresh-clone check) could start last and
 * run alone while the other worker idles. The list is of wall time measured in CI (seconds, a local `npm test` of 2026-12-05 evening, 3 workers);
 * a suite missing from it keeps vitest's own order after these.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const SLOWEST_FIRST = [
  'test/demo/demo.test.ts', // 159 s
  'test/docs/fresh-clone.test.ts', // 87 s
  'test/console/console.browser.test.ts', // 74 s
  'test/console/oidc.browser.test.ts', // ~60 s (alone, measured by its author)
  'test/pipelines/pipelines.e2e.test.ts', // 65 s
  'test/security/repository-content.test.ts', // 63 s
  'test/gitops/git-delivery.test.ts', // 60 s
  'test/gitops/pull-request-delivery.e2e.test.ts', // 54 s
  'test/service/data-dir-lock.test.ts', // 48 s
  'test/reliability/kill9.pglite.test.ts', // 41 s
  'test/gitops/argocd.e2e.test.ts', // 40 s
  'test/engine/approvals.pglite.e2e.test.ts', // ~40 s (alone)
  'test/engine/approvals.e2e.test.ts', // ~40 s (alone)
  'test/console/approvals.browser.test.ts', // ~35 s (alone)
  'test/gitops/promotion-via-git.e2e.test.ts', // 33 s
  'test/load/load.test.ts', // 30 s
  'test/console/pipelines.browser.test.ts', // 29 s
  'test/reliability/kill9.test.ts', // 28 s
  'test/reliability/kill9-pull-request.test.ts', // 26 s
  'test/reliability/kubernetes-faults.test.ts', // 26 s

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
