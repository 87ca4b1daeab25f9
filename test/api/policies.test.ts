/** /v1/policies: immutable versions, JSON and YAML bodies, and loading from PROMOTER_POLICIES_DIR. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyFolder } from '../../services/promoter/src/policies/policy-folder.js';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { samplePolicy, startTestService, type TestService } from '../fixtures/service.js';

const YAML_POLICY = `# the runbook's gate
interval: 15s
bake: 2m
onNoData: fail
checks:
  - name: canary-error-rate
    phases: [pre, rollout, post]
    query: |
      sum(rate(zai_proxy_requests_total{variant="{{variant}}",status=~"5.."}[5m]))
        / sum(rate(zai_proxy_requests_total{variant="{{variant}}"}[5m]))
    max: 0.05
  - name: p95-no-regression
    phases: [pre, post]
    query: histogram_quantile(0.95, sum by (le) (rate(zai_proxy_request_duration_seconds_bucket{variant="{{variant}}"}[5m])))
    baseline: { variant: production }
    maxIncrease: 10%
  - name: no-firing-alerts
    alerts: { namespace: "{{namespace}}", variant: "{{variant}}" }
  - name: tokens-counted
    query: sum(rate(zai_proxy_tokens_total{variant="{{variant}}"}[5m]))
    min: 0
    exclusiveMin: true
`;

describe('policies API', () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(() => svc.close());

  const put = async (name: string, payload: string | Record<string, unknown>, contentType = 'application/json') => {
    const response = await svc.app.inject({
      method: 'PUT',
      url: `/v1/policies/${name}`,
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      headers: { 'content-type': contentType },
    });
    assertMatchesSpec('putPolicy', response);
    return response;
  };

  it('stores a YAML policy (the design document example) as version 1 and reads it back', async () => {
    const created = await put('zai-proxy-default', YAML_POLICY, 'application/yaml');
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ name: 'zai-proxy-default', version: 1, source: 'api', createdBy: 'anonymous' });
    const read = await svc.app.inject({ method: 'GET', url: '/v1/policies/zai-proxy-default' });
    assertMatchesSpec('getPolicy', read);
    expect(read.json().document.checks.map((c: { name: string }) => c.name)).toEqual([
      'canary-error-rate',
      'p95-no-regression',
      'no-firing-alerts',
      'tokens-counted',
    ]);
    expect(read.json().document.checks[1].baseline).toEqual({ variant: 'production' });
  });

  it('makes a new immutable version for each changed document and keeps the old ones', async () => {
    expect((await put('versioned', samplePolicy())).statusCode).toBe(201);
    const v2 = await put('versioned', samplePolicy({ interval: '10s' }));
    expect(v2.statusCode).toBe(200);
    expect(v2.json().version).toBe(2);
    const v3 = await put('versioned', 'interval: 20s\nchecks:\n  - name: up\n    query: up\n    min: 1\n', 'text/yaml');
    expect(v3.json().version).toBe(3);
    const unchanged = await put('versioned', 'checks:\n  - name: up\n    query: up\n    min: 1\ninterval: 20s\n', 'application/x-yaml');
    expect(unchanged.json().version).toBe(3);

    const v1 = await svc.app.inject({ method: 'GET', url: '/v1/policies/versioned?version=1' });
    expect(v1.json().document.interval).toBe('30s');
    const versions = await svc.app.inject({ method: 'GET', url: '/v1/policies/versioned/versions' });
    assertMatchesSpec('listPolicyVersions', versions);
    expect(versions.json().items.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    const missing = await svc.app.inject({ method: 'GET', url: '/v1/policies/versioned?version=9' });
    expect(missing.json()).toMatchObject({ status: 404, code: 'policy-not-found' });
  });

  it('keeps the version a promotion used even after the policy changes', async () => {
    await put('pinned', samplePolicy());
    const promotion = await svc.app.inject({
      method: 'POST',
      url: '/v1/promotions',
      payload: { target: { namespace: 'mcp', deployment: 'pinned', container: 'app' }, image: 'app:1.0.0', policy: 'pinned' },
    });
    await put('pinned', samplePolicy({ interval: '1m' }));
    const detail = await svc.app.inject({ method: 'GET', url: `/v1/promotions/${promotion.json().id}` });
    expect(detail.json().policy).toEqual({ name: 'pinned', version: 1 });
    expect(detail.json().policySnapshot.interval).toBe('30s');
  });

  it('lists the latest version of each policy and deletes without losing history', async () => {
    await put('to-delete', samplePolicy());
    const list = await svc.app.inject({ method: 'GET', url: '/v1/policies' });
    assertMatchesSpec('listPolicies', list);
    expect(list.json().items.map((p: { name: string }) => p.name)).toContain('to-delete');
    const deleted = await svc.app.inject({ method: 'DELETE', url: '/v1/policies/to-delete' });
    assertMatchesSpec('deletePolicy', deleted);
    expect(deleted.statusCode).toBe(204);
    expect((await svc.app.inject({ method: 'GET', url: '/v1/policies/to-delete' })).statusCode).toBe(404);
    const recreated = await put('to-delete', samplePolicy({ bake: '1m' }));
    expect(recreated.statusCode).toBe(201);
    expect(recreated.json().version).toBe(2);
  });

  it('reports every field at fault in one answer', async () => {
    const response = await put('broken', {
      interval: '0s',
      mergeTimeout: '31d',
      checks: [
        { name: 'a', query: 'up', min: 5, max: 1 },
        { name: 'a', alerts: { 'bad-label': 'x' } },
        { name: 'c', query: 'x', baseline: { variant: 'production', unknownVar: 'y' }, maxIncrease: '10%' },
        { name: 'd', query: 'up', min: 1, samples: 2, failureLimit: 2 },
      ],
    });
    expect(response.statusCode).toBe(422);
    const pointers = response.json().errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(
      expect.arrayContaining([
        '/body/interval',
        '/body/mergeTimeout',
        '/body/checks/0/min',
        '/body/checks/1/name',
        '/body/checks/1/alerts/bad-label',
        '/body/checks/2/baseline/unknownVar',
        '/body/checks/2/baseline/variant',
        '/body/checks/3/failureLimit',
      ]),
    );
  });

  it('loads policies from a folder at start-up: new, unchanged, changed and broken files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'promoter-policies-'));
    try {
      writeFileSync(join(dir, 'from-file.yaml'), YAML_POLICY);
      writeFileSync(join(dir, 'named.yml'), `name: named-in-file\n${YAML_POLICY}`);
      writeFileSync(join(dir, 'broken.yaml'), 'checks: []\n');
      writeFileSync(join(dir, 'notes.txt'), 'ignored');
      const deps = { policies: svc.policies, policyDocuments: svc.policyDocuments };
      const first = await loadPolicyFolder(dir, deps);
      expect(first).toEqual([
        { file: 'broken.yaml', error: expect.stringContaining('/checks') },
        { file: 'from-file.yaml', name: 'from-file', version: 1, changed: true },
        { file: 'named.yml', name: 'named-in-file', version: 1, changed: true },
      ]);
      const second = await loadPolicyFolder(dir, deps);
      expect(second.filter((r) => r.changed)).toEqual([]);
      writeFileSync(join(dir, 'from-file.yaml'), YAML_POLICY.replace('interval: 15s', 'interval: 45s'));
      const third = await loadPolicyFolder(dir, deps);
      expect(third.find((r) => r.file === 'from-file.yaml')).toEqual({ file: 'from-file.yaml', name: 'from-file', version: 2, changed: true });
      const stored = await svc.app.inject({ method: 'GET', url: '/v1/policies/from-file' });
      expect(stored.json()).toMatchObject({ version: 2, source: 'file', createdBy: 'file:from-file.yaml', document: { interval: '45s' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
