/**
 * The order a policy's fields are written in: the order of the properties of `Policy` and `Check` in
 * openapi/promoter.yaml, which is also the order of the documentation and the examples. The service keeps
 * a policy as data (PostgreSQL's jsonb, which sorts keys by length), so the console puts the keys back in
 * this order to show it as people wrote it (test/console/policy-yaml.test.ts holds it to the spec).
 */
import type { KeyOrder } from './yaml.js';

const CHECK: KeyOrder = {
  keys: ['name', 'phases', 'query', 'reduce', 'min', 'max', 'exclusiveMin', 'exclusiveMax', 'baseline', 'maxIncrease', 'maxDecrease', 'alerts', 'statistical', 'webhook', 'samples', 'failureLimit', 'consecutiveErrorLimit', 'onNoData', 'timeout'],
  children: {
    baseline: { keys: ['query', 'offset'] },
    statistical: { keys: ['window', 'step', 'confidence', 'minEffectSize', 'direction'] },
    webhook: { keys: ['url', 'headers', 'timeout', 'retries'] },
  },
};

export const POLICY_ORDER: KeyOrder = {
  keys: ['name', 'namespace', 'description', 'interval', 'bake', 'rolloutTimeout', 'mergeTimeout', 'onNoData', 'approval', 'vars', 'blockOnRollback', 'afterSuccess', 'checks'],
  children: {
    afterSuccess: { keys: ['scaleCanaryTo', 'release'], children: { release: { keys: ['repository', 'versionFile', 'tag', 'name'] } } },
    checks: { keys: [], items: CHECK },
  },
};
