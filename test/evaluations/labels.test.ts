/**
 * `{{labels.*}}` end to end: POST /v1/evaluations renders them from the Deployments' pod-template labels
 * (read through client-node from the fake Kubernetes API) and measures against a real Prometheus scraping
 * series labelled the runbook's way (`variant=test` on the canary's pods, `variant=production` in
 * production). A label the Deployment lacks is an `error`, never a pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { PrometheusClient } from '../../services/promoter/src/adapters/prometheus/prometheus-client.js';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { startExporter, type Exporter } from '../fixtures/exporter.js';
import { startPrometheus, type PrometheusInstance } from '../fixtures/prometheus.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { fakeKubeClient } from '../fixtures/engine.js';

const target = { namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy' };
const source = { deployment: 'zai-proxy-test' };
const ERROR_RATIO = 'max(proxy_error_ratio{namespace="{{namespace}}",variant="{{labels.variant}}"})';

describe('{{labels.*}} in evaluations, with real Prometheus and the Deployments read from Kubernetes', () => {
  let exporter: Exporter;
  let prometheus: PrometheusInstance;
  let kube: FakeKube;
  let svc: TestService;

  beforeAll(async () => {
    exporter = await startExporter();
    exporter.set('proxy_error_ratio', { namespace: 'mcp', variant: 'test' }, 0.2);
    exporter.set('proxy_error_ratio', { namespace: 'mcp', variant: 'production' }, 0.01);
    exporter.set('proxy_p95_seconds', { namespace: 'mcp', variant: 'test' }, 0.21);
    exporter.set('proxy_p95_seconds', { namespace: 'mcp', variant: 'production' }, 0.2);
    kube = await startFakeKube();
    kube.addDeployment({ namespace: 'mcp', name: 'zai-proxy', containers: [{ name: 'proxy', image: 'ronaldraygun/zai-proxy:1.2.0' }], replicas: 3, selector: { app: 'zai-proxy', variant: 'production' } });
    kube.addDeployment({ namespace: 'mcp', name: 'zai-proxy-test', containers: [{ name: 'proxy', image: 'ronaldraygun/zai-proxy:1.2.1-canary' }], selector: { app: 'zai-proxy-test', variant: 'test' } });
    prometheus = await startPrometheus({ targets: [exporter.target] });
    await prometheus.waitForSeries('proxy_p95_seconds{variant="test"}');
    svc = await startTestService({
      prometheus: new PrometheusClient({ baseUrl: prometheus.url, retries: 0 }),
      kube: fakeKubeClient(kube),
    });
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    await prometheus?.stop();
    await kube?.close();
    await exporter?.close();
  });

  const evaluate = async (body: Record<string, unknown>) => {
    const response = await svc.app.inject({ method: 'POST', url: '/v1/evaluations', payload: { target, source, ...body } });
    assertMatchesSpec('createEvaluation', response);
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ verdict: string; checks: { verdict: string; measurements: { result: string; value: number | null; baselineValue: number | null; query: string | null; baselineQuery: string | null; message: string }[] }[] }>();
  };

  it('pre judges the canary by its own label (variant=test): its 20% error ratio fails', async () => {
    const evaluation = await evaluate({ phase: 'pre', policy: { checks: [{ name: 'error-ratio', query: ERROR_RATIO, max: 0.05 }] } });
    expect(evaluation.verdict).toBe('fail');
    expect(evaluation.checks[0]?.measurements[0]).toMatchObject({ result: 'fail', value: 0.2, query: 'max(proxy_error_ratio{namespace="mcp",variant="test"})' });
  });

  it('post judges production by its label (variant=production): 1% passes', async () => {
    const evaluation = await evaluate({ phase: 'post', policy: { checks: [{ name: 'error-ratio', query: ERROR_RATIO, max: 0.05 }] } });
    expect(evaluation.verdict).toBe('pass');
    expect(evaluation.checks[0]?.measurements[0]).toMatchObject({ result: 'pass', value: 0.01, query: 'max(proxy_error_ratio{namespace="mcp",variant="production"})' });
  });

  it('a baseline is rendered with production labels, the query with the canary labels', async () => {
    const p95 = 'max(proxy_p95_seconds{namespace="{{namespace}}",variant="{{labels.variant}}"})';
    const evaluation = await evaluate({ phase: 'pre', policy: { checks: [{ name: 'p95', query: p95, baseline: { query: p95 }, maxIncrease: '10%' }] } });
    expect(evaluation.checks[0]?.measurements[0]).toMatchObject({
      result: 'pass',
      value: 0.21,
      baselineValue: 0.2,
      query: 'max(proxy_p95_seconds{namespace="mcp",variant="test"})',
      baselineQuery: 'max(proxy_p95_seconds{namespace="mcp",variant="production"})',
    });
  });

  it('a label the canary does not have is an error naming the label and the Deployment', async () => {
    const evaluation = await evaluate({ phase: 'pre', policy: { checks: [{ name: 'by-track', query: 'max(proxy_error_ratio{track="{{labels.track}}"})', max: 0.05 }] } });
    expect(evaluation.verdict).toBe('error');
    expect(evaluation.checks[0]?.measurements[0]).toMatchObject({
      result: 'error',
      query: null,
      message: "by-track: Deployment mcp/zai-proxy-test has no pod-template label 'track' for {{labels.track}} (its labels: app, variant)",
    });
  });

  it('a stored policy with labels is accepted, and a label name Kubernetes would refuse is a 422 at PUT', async () => {
    const good = await svc.app.inject({ method: 'PUT', url: '/v1/policies/by-label', payload: { checks: [{ name: 'error-ratio', query: ERROR_RATIO, max: 0.05 }] } });
    expect(good.statusCode, good.body).toBe(201);
    const bad = await svc.app.inject({ method: 'PUT', url: '/v1/policies/bad-label', payload: { checks: [{ name: 'error-ratio', query: 'up{v="{{labels.-variant}}"}', max: 0.05 }] } });
    assertMatchesSpec('putPolicy', bad);
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({ errors: [{ pointer: '/body/checks/0/query', detail: expect.stringMatching(/\{\{labels\.-variant\}\}: '-variant' is not a Kubernetes label name/) }] });
  });

  it('a query with labels is still syntax-checked by Prometheus at PUT (rendered with sample label values)', async () => {
    const typo = await svc.app.inject({ method: 'PUT', url: '/v1/policies/label-typo', payload: { checks: [{ name: 'typo', query: 'sum(rate(x{variant="{{labels.variant}}"}[5m])', max: 1 }] } });
    expect(typo.statusCode, typo.body).toBe(422);
    expect(typo.json().errors).toEqual([{ pointer: '/body/checks/0/query', detail: expect.stringContaining('Prometheus rejects the query') }]);
  });
});
