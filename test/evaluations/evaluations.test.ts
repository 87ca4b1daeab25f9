/**
 * POST /v1/evaluations against a real Prometheus scraping an exporter whose series the test controls:
 * every check kind, no data, Prometheus down, deduplicated queries, and backtesting over a past window.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from '../../services/promoter/src/adapters/prometheus/prometheus-client.js';
import { WebhookClient } from '../../services/promoter/src/adapters/webhook/webhook-client.js';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { startExporter, type Exporter } from '../fixtures/exporter.js';
import { startPrometheus, type PrometheusInstance } from '../fixtures/prometheus.js';
import { startTestService, type TestService } from '../fixtures/service.js';

const target = { namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy' };
const source = { deployment: 'zai-proxy-test' };
const NOW = Math.floor(Date.now() / 1000);
// A past incident, backfilled: 30 quiet minutes, then 30 minutes of errors, ending two hours ago.
const INCIDENT_START = NOW - 3 * 3600 + 1800;
const HISTORY_START = NOW - 3 * 3600;
const HISTORY_END = NOW - 2 * 3600;

function history(value: (t: number) => number): [number, number][] {
  const samples: [number, number][] = [];
  for (let t = HISTORY_START; t <= HISTORY_END; t += 15) samples.push([t, value(t)]);
  return samples;
}

const ALERT_RULES = `groups:
  - name: canary
    rules:
      - alert: CanaryBroken
        expr: canary_broken == 1
        labels: { severity: page }
`;

describe('evaluations against a real Prometheus', () => {
  let exporter: Exporter;
  let prometheus: PrometheusInstance;
  let svc: TestService;
  let webhook: Server;
  let webhookStatus = 200;
  let webhookBodies: unknown[] = [];
  let prometheusRequests = 0;

  beforeAll(async () => {
    exporter = await startExporter();
    exporter.set('proxy_error_ratio', { namespace: 'mcp', variant: 'canary' }, 0.01);
    exporter.set('proxy_error_ratio', { namespace: 'mcp', variant: 'production' }, 0.01);
    exporter.set('proxy_p95_seconds', { namespace: 'mcp', variant: 'canary' }, 0.21);
    exporter.set('proxy_p95_seconds', { namespace: 'mcp', variant: 'production' }, 0.2);
    exporter.set('proxy_tokens_rate', { namespace: 'mcp', variant: 'canary' }, 12);
    exporter.set('canary_broken', { namespace: 'mcp', variant: 'canary' }, 0);
    prometheus = await startPrometheus({
      targets: [exporter.target],
      ruleFiles: ALERT_RULES,
      backfill: [
        { name: 'past_error_ratio', labels: { namespace: 'mcp', variant: 'canary' }, samples: history((t) => (t >= INCIDENT_START ? 0.2 : 0.01)) },
        // Latency samples for the statistical check: the canary is ~30% slower than production.
        { name: 'past_latency', labels: { namespace: 'mcp', variant: 'canary' }, samples: history((t) => 0.26 + ((t * 7) % 11) / 1000) },
        { name: 'past_latency', labels: { namespace: 'mcp', variant: 'production' }, samples: history((t) => 0.2 + ((t * 5) % 13) / 1000) },
        { name: 'past_latency', labels: { namespace: 'mcp', variant: 'same' }, samples: history((t) => 0.2 + ((t * 3) % 13) / 1000) },
      ],
    });
    await prometheus.waitForSeries('proxy_p95_seconds{variant="canary"}');
    const countingFetch: typeof fetch = (input, init) => {
      prometheusRequests += 1;
      return fetch(input, init);
    };
    webhook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        webhookBodies.push(JSON.parse(body));
        response.writeHead(webhookStatus).end(webhookStatus === 200 ? 'all 42 functional tests passed' : '3 tests failed');
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    svc = await startTestService({
      prometheus: new PrometheusClient({ baseUrl: prometheus.url, retries: 0, fetch: countingFetch }),
      // The operator allows the test suite's address explicitly (loopback is refused otherwise).
      webhooks: new WebhookClient({ baseDelayMs: 10, allowedUrls: [`http://127.0.0.1:${(webhook.address() as AddressInfo).port}/`] }),
    });
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    await prometheus?.stop();
    await exporter?.close();
    await new Promise((resolve) => webhook?.close(resolve));
  });

  const evaluate = async (body: Record<string, unknown>) => {
    const response = await svc.app.inject({ method: 'POST', url: '/v1/evaluations', payload: { target, source, phase: 'pre', ...body } });
    assertMatchesSpec('createEvaluation', response);
    return response;
  };
  const errorRate = (max: number) => ({
    name: 'canary-error-rate',
    query: 'max(proxy_error_ratio{namespace="{{namespace}}",variant="{{variant}}"})',
    max,
  });

  it('passes a threshold check and shows the rendered query, value and bound', async () => {
    // The series this check reads, scraped now: on a loaded machine a scrape can miss its 1 s timeout, and
    // Prometheus then marks the series stale (no data, which never passes). beforeAll waited for another one.
    await prometheus.waitForSeries('proxy_error_ratio{namespace="mcp",variant="canary"} == 0.01');
    const response = await evaluate({ policy: { checks: [errorRate(0.05)] } });
    expect(response.statusCode, response.body).toBe(201);
    const evaluation = response.json();
    expect(evaluation, response.body).toMatchObject({ verdict: 'pass', phase: 'pre', policy: { name: null, version: null } });
    expect(evaluation.checks[0]).toMatchObject({ name: 'canary-error-rate', kind: 'threshold', verdict: 'pass' });
    expect(evaluation.checks[0].measurements[0]).toMatchObject({
      result: 'pass',
      value: 0.01,
      bound: '<= 0.05',
      query: 'max(proxy_error_ratio{namespace="mcp",variant="canary"})',
      message: 'canary-error-rate = 0.01, within <= 0.05',
    });
    const stored = await svc.app.inject({ method: 'GET', url: `/v1/evaluations/${evaluation.id}` });
    assertMatchesSpec('getEvaluation', stored);
    expect(stored.json()).toEqual(evaluation);
  });

  it('fails a threshold check with a sentence saying why', async () => {
    exporter.set('proxy_error_ratio', { namespace: 'mcp', variant: 'canary' }, 0.071);
    await prometheus.waitForSeries('proxy_error_ratio{variant="canary"} > 0.07');
    const evaluation = (await evaluate({ policy: { checks: [errorRate(0.05)] } })).json();
    expect(evaluation.verdict).toBe('fail');
    expect(evaluation.checks[0].measurements[0].message).toBe('canary-error-rate = 0.071 > max 0.05');
    expect(evaluation.reason).toContain('canary-error-rate failed 1 of 1');
    exporter.set('proxy_error_ratio', { namespace: 'mcp', variant: 'canary' }, 0.01);
    await prometheus.waitForSeries('proxy_error_ratio{variant="canary"} < 0.02');
  });

  it('compares with the production baseline: within 10% passes, a regression fails', async () => {
    const check = {
      name: 'p95-no-regression',
      query: 'max(proxy_p95_seconds{namespace="{{namespace}}",variant="{{variant}}"})',
      baseline: { variant: 'production' },
      maxIncrease: '10%',
    };
    const ok = (await evaluate({ policy: { checks: [check] } })).json();
    expect(ok.checks[0].measurements[0]).toMatchObject({
      result: 'pass',
      value: 0.21,
      baselineValue: 0.2,
      baselineQuery: 'max(proxy_p95_seconds{namespace="mcp",variant="production"})',
    });
    exporter.set('proxy_p95_seconds', { namespace: 'mcp', variant: 'canary' }, 0.3);
    await prometheus.waitForSeries('proxy_p95_seconds{variant="canary"} > 0.29');
    const regressed = (await evaluate({ policy: { checks: [check] } })).json();
    expect(regressed.verdict).toBe('fail');
    expect(regressed.checks[0].measurements[0].message).toBe(
      'p95-no-regression = 0.3 is +50.0% over baseline 0.2; allowed 10% (up to 0.22)',
    );
  });

  it('fails while a matching alert fires, and only a matching one', async () => {
    exporter.set('canary_broken', { namespace: 'mcp', variant: 'canary' }, 1);
    await prometheus.waitForSeries('ALERTS{alertname="CanaryBroken",alertstate="firing"}');
    const alerts = { name: 'no-firing-alerts', alerts: { namespace: '{{namespace}}', variant: '{{variant}}' } };
    const firing = (await evaluate({ policy: { checks: [alerts] } })).json();
    expect(firing.checks[0].measurements[0]).toMatchObject({
      result: 'fail',
      query: 'ALERTS{alertstate="firing",namespace="mcp",variant="canary"}',
      message: 'no-firing-alerts: 1 matching alert is firing: CanaryBroken',
    });
    const otherNamespace = (await svc.app.inject({
      method: 'POST',
      url: '/v1/evaluations',
      payload: { target: { ...target, namespace: 'payments' }, policy: { checks: [alerts] } },
    })).json();
    expect(otherNamespace.verdict).toBe('pass');
    exporter.set('canary_broken', { namespace: 'mcp', variant: 'canary' }, 0);
  });

  it('never passes on missing data: no series is inconclusive, and fails by default', async () => {
    const missing = { name: 'tokens-counted', query: 'sum(proxy_tokens_rate{variant="{{variant}}",namespace="nowhere"})', min: 0, exclusiveMin: true };
    const byDefault = (await evaluate({ policy: { checks: [missing] } })).json();
    expect(byDefault.checks[0].measurements[0]).toMatchObject({ result: 'inconclusive', value: null });
    expect(byDefault.verdict).toBe('fail');
    const lenient = (await evaluate({ policy: { onNoData: 'inconclusive', checks: [missing] } })).json();
    expect(lenient.verdict).toBe('inconclusive');
    const present = (await evaluate({ policy: { checks: [{ ...missing, query: 'sum(proxy_tokens_rate{variant="{{variant}}"})' }] } })).json();
    expect(present.verdict).toBe('pass');
  });

  it('sends identical queries once per round', async () => {
    const before = prometheusRequests;
    const response = await evaluate({
      policy: {
        checks: [
          errorRate(0.05),
          { ...errorRate(0.5), name: 'error-rate-loose' },
          { ...errorRate(0.9), name: 'error-rate-looser' },
        ],
      },
    });
    expect(response.json().verdict).toBe('pass');
    expect(prometheusRequests - before).toBe(1);
  });

  it('backtests a policy over a past window: passes before the incident, fails across it', async () => {
    const policy = { interval: '2m', checks: [{ name: 'error-rate', query: 'max(past_error_ratio{variant="{{variant}}"})', max: 0.05 }] };
    const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
    const quiet = (await evaluate({ policy, window: { start: iso(HISTORY_START + 60), end: iso(INCIDENT_START - 60) } })).json();
    expect(quiet.verdict).toBe('pass');
    expect(quiet.checks[0].measurements.length).toBeGreaterThanOrEqual(11);
    const incident = (await evaluate({ policy, window: { start: iso(HISTORY_START + 60), end: iso(HISTORY_END) } })).json();
    expect(incident.verdict, JSON.stringify(incident.checks[0].measurements.map((m: { value: number; measuredAt: string; result: string }) => [m.value, m.result]))).toBe('fail');
    expect(incident.window).toEqual({ start: iso(HISTORY_START + 60), end: iso(HISTORY_END) });
    // Each interval is dated by the instant it is about: the window's start, then every 2 minutes.
    expect(incident.checks[0].measurements.map((m: { measuredAt: string }) => m.measuredAt)).toEqual(
      incident.checks[0].measurements.map((_: unknown, i: number) => iso(HISTORY_START + 60 + i * 120)),
    );
    const failing = incident.checks[0].measurements.filter((m: { result: string }) => m.result === 'fail');
    expect(failing.length).toBeGreaterThan(0);
    expect(failing[0].value).toBe(0.2);
  });

  it('judges canary vs baseline samples with the Mann-Whitney U test', async () => {
    const statistical = (variant: string) => ({
      name: 'latency-mann-whitney',
      query: 'max(past_latency{variant="{{variant}}"})',
      baseline: { variant },
      statistical: { window: '30m', step: '1m', confidence: 0.95, minEffectSize: 0.1, direction: 'increase' },
    });
    const time = new Date(HISTORY_END * 1000).toISOString();
    const slower = (await evaluate({ time, policy: { checks: [statistical('production')] } })).json();
    expect(slower.verdict).toBe('fail');
    const data = slower.checks[0].measurements[0].data;
    expect(data.pValue).toBeLessThan(0.05);
    expect(data.relativeShift).toBeGreaterThan(0.1);
    expect(data.canarySamples).toBeGreaterThanOrEqual(30);

    const productionAgainstSame = await svc.app.inject({
      method: 'POST',
      url: '/v1/evaluations',
      payload: { target, phase: 'post', time, policy: { checks: [{ ...statistical('same'), baseline: { variant: 'same' } }] } },
    });
    expect(productionAgainstSame.json().checks[0].measurements[0].query).toBe('max(past_latency{variant="production"})');
    expect(productionAgainstSame.json().verdict).toBe('pass');
  });

  it('calls a webhook with the promotion context: 2xx passes, 500 fails', async () => {
    const url = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/functional-tests`;
    const policy = { checks: [{ name: 'functional-tests', webhook: { url, timeout: '5s', retries: 1 } }] };
    webhookBodies = [];
    webhookStatus = 200;
    const ok = (await evaluate({ policy, image: 'registry.example/zai-proxy:1.2.1' })).json();
    expect(ok.checks[0].measurements[0]).toMatchObject({ result: 'pass', value: 200, message: 'functional-tests: webhook answered 200' });
    expect(webhookBodies[0]).toMatchObject({ check: 'functional-tests', phase: 'pre', target, image: 'registry.example/zai-proxy:1.2.1' });
    webhookStatus = 500;
    const failed = (await evaluate({ policy })).json();
    expect(failed.checks[0].measurements[0]).toMatchObject({ result: 'fail', value: 500 });
    expect(webhookBodies).toHaveLength(3); // one call, then a 500 retried once
  });

  it('refuses a policy whose PromQL Prometheus rejects, naming the check', async () => {
    const response = await svc.app.inject({
      method: 'PUT',
      url: '/v1/policies/typo',
      payload: { checks: [{ name: 'ok', query: 'up', min: 1 }, { name: 'typo', query: 'sum(rate(x{variant="{{variant}}"}[5m])', max: 1 }] },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors).toEqual([{ pointer: '/body/checks/1/query', detail: expect.stringContaining('Prometheus rejects the query') }]);
  });

  it('evaluates a stored policy by name and records its version', async () => {
    await svc.app.inject({ method: 'PUT', url: '/v1/policies/gate', payload: { checks: [errorRate(0.05)] } });
    const evaluation = (await evaluate({ policy: 'gate' })).json();
    expect(evaluation).toMatchObject({ verdict: 'pass', policy: { name: 'gate', version: 1 } });
    const unknown = await evaluate({ policy: 'nope' });
    expect(unknown.json()).toMatchObject({ status: 422, errors: [{ pointer: '/body/policy' }] });
  });
});

describe('evaluations when Prometheus is down', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ prometheus: new PrometheusClient({ baseUrl: 'http://127.0.0.1:9', retries: 1, retryBaseDelayMs: 10 }) });
  });
  afterAll(() => svc.close());

  it('measures an error, never a pass', async () => {
    const response = await svc.app.inject({
      method: 'POST',
      url: '/v1/evaluations',
      payload: { target, policy: { checks: [{ name: 'error-rate', query: 'vector(0)', max: 0.05 }, { name: 'alerts', alerts: { namespace: 'mcp' } }] } },
    });
    assertMatchesSpec('createEvaluation', response);
    const evaluation = response.json();
    expect(evaluation.verdict).toBe('error');
    expect(evaluation.checks.map((c: { verdict: string }) => c.verdict)).toEqual(['error', 'error']);
    expect(evaluation.checks[0].measurements[0].message).toMatch(/^error-rate: Prometheus network/);
  });

  it('a backtest over an hour says its 121 identical errors once: count, first and last time', async () => {
    const end = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000);
    const start = new Date(end.getTime() - 3_600_000);
    const response = await svc.app.inject({
      method: 'POST',
      url: '/v1/evaluations',
      payload: { target, window: { start: start.toISOString(), end: end.toISOString() }, policy: { interval: '30s', checks: [{ name: 'error-rate', query: 'vector(0)', max: 0.05 }] } },
    });
    assertMatchesSpec('createEvaluation', response);
    const [check] = response.json().checks;
    expect(check.measurements).toHaveLength(121);
    const message = check.measurements[0].message;
    expect(message).toMatch(/^error-rate: Prometheus network/);
    expect(check.errors).toEqual([{ message, count: 121, first: start.toISOString(), last: end.toISOString() }]);
    // Stored with the evaluation: reading it back gives the same groups.
    const stored = await svc.app.inject({ method: 'GET', url: `/v1/evaluations/${response.json().id}` });
    assertMatchesSpec('getEvaluation', stored);
    expect(stored.json().checks[0].errors).toEqual(check.errors);
  });
});
