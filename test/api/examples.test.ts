/** The shipped example policies are valid: they load from their folder exactly as PROMOTER_POLICIES_DIR would. */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyFolder } from '../../services/promoter/src/policies/policy-folder.js';
import { startTestService, type TestService } from '../fixtures/service.js';

describe('examples/policies', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(() => svc.close());

  it('every example loads without errors', async () => {
    const dir = fileURLToPath(new URL('../../examples/policies', import.meta.url));
    const results = await loadPolicyFolder(dir, { policies: svc.policies, policyDocuments: svc.policyDocuments });
    expect(results.filter((r) => r.error)).toEqual([]);
    expect(results.map((r) => r.name).sort()).toEqual(['approval-required', 'latency-mann-whitney', 'zai-proxy-default', 'zai-proxy-functional-tests']);
  });
});
