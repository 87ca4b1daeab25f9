/**
 * Prometheus outage: a real Prometheus (scraping an exporter this test controls) is stopped while one
 * promotion is in its pre-promotion gate (analyzing) and another is verifying after its rollout. The
 * engine runs in this process with the Prometheus client configured as main.ts configures it (default
 * retries and timeout), on real Postgres, against the fake Kubernetes API.
 *
 * What must hold: Prometheus being away is never a pass. In the gate the errors count against the
 * check's `consecutiveErrorLimit` and the promotion ends `rejected` with verdict `error` and nothing
 * patched; while verifying they count the same way and the promotion rolls back (one patch each way).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from '../../services/promoter/src/adapters/prometheus/prometheus-client.js';
import type { PromotionEngine } from '../../services/promoter/src/engine/promotion-engine.js';
import type { FakeKube } from '@promoter/fake-kube';
import { startEngine } from '../fixtures/engine.js';
import type { PrometheusInstance } from '../fixtures/prometheus.js';
import { ERROR_RATIO_QUERY, PRODUCTION_IMAGE, startRunbookStack, type RunbookStack } from '../fixtures/runbook-stack.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { checkResultCounts, eventsOf, patchesOf, report, statusCounts, TERMINAL, transitionTimes, until, waitForDbState } from './support.js';

const OLD = PRODUCTION_IMAGE;
const NEW = 'registry.example/web:2.0.0';
const ERROR_LIMIT = 2;
const check = {
  name: 'error-rate',
  query: ERROR_RATIO_QUERY,
  max: 0.05,
  consecutiveErrorLimit: ERROR_LIMIT,
};

describe('Prometheus outage', () => {
  let stack: RunbookStack;
  let prometheus: PrometheusInstance;
  let kube: FakeKube;
  let svc: TestService;
  let engine: PromotionEngine;

  beforeAll(async () => {
    stack = await startRunbookStack({ namespaces: ['gate', 'bake'], deployments: 'production', replicas: 2, scrapeTimeoutMs: 30_000 });
    ({ prometheus, kube } = stack);
    // As main.ts builds it: default retries (2, with backoff) and timeout (10 s).
    const client = new PrometheusClient({ baseUrl: prometheus.url });
    svc = await startTestService({ prometheus: client });
    const policies = {
      // The gate takes 8 measurements, one a second: Prometheus goes away in the middle of it.
      'slow-gate': { interval: '1s', bake: '1s', checks: [{ ...check, samples: 8 }] },
      'long-bake': { interval: '1s', bake: '60s', checks: [check] },
    };
    for (const [name, policy] of Object.entries(policies)) {
      expect((await svc.app.inject({ method: 'PUT', url: `/v1/policies/${name}`, payload: policy })).statusCode).toBe(201);
    }
    engine = startEngine(svc, kube, svc.queries);
  }, 60_000);

  afterAll(async () => {
    await engine?.stop();
    await svc?.close();
    await stack?.close();
  });

  const promote = async (namespace: string, policy: string): Promise<string> => {
    const response = await svc.app.inject({
      method: 'POST',
      url: '/v1/promotions',
      payload: { target: { namespace, deployment: 'web', container: 'app' }, image: NEW, policy, reason: `prometheus outage ${namespace}` },
    });
    expect(response.statusCode, response.body).toBe(201);
    return (response.json() as { id: string }).id;
  };
  const db = () => svc.database.handle.db;
  const image = (namespace: string) => kube.getDeployment(namespace, 'web')?.spec.template.spec.containers[0]?.image;
  /** The results of one phase in order, e.g. ['pass', 'pass', 'error', ...], with the first error's message. */
  const results = async (id: string, phase: string) => {
    const rows = await db().selectFrom('check_results').select(['result', 'message', 'measured_at']).where('promotion_id', '=', id).where('phase', '=', phase).orderBy('id').execute();
    return { sequence: rows.map((r) => r.result), firstError: rows.find((r) => r.result === 'error')?.message ?? null };
  };

  it('never promotes while analyzing, and rolls back while verifying, when Prometheus stops', async () => {
    const verifying = await promote('bake', 'long-bake');
    const analyzing = await promote('gate', 'slow-gate');
    // Stop Prometheus once the gate has passing measurements and the bake has a passing post check.
    await until(async () => {
      const [gate, bake] = await Promise.all([checkResultCounts(db(), analyzing), checkResultCounts(db(), verifying)]);
      return (gate['pre:pass'] ?? 0) >= 2 && (bake['post:pass'] ?? 0) >= 1;
    }, 'a passing gate measurement and a passing post measurement', 20_000);
    const before = { gate: await checkResultCounts(db(), analyzing), bake: await checkResultCounts(db(), verifying) };
    expect((await waitForDbState(db(), analyzing, ['analyzing'], 1)).state).toBe('analyzing');
    expect((await waitForDbState(db(), verifying, ['verifying'], 1)).state).toBe('verifying');
    const stopAt = Date.now();
    await prometheus.stop();
    const stoppedMs = Date.now() - stopAt;

    const [gate, bake] = await Promise.all([waitForDbState(db(), analyzing, TERMINAL, 30_000), waitForDbState(db(), verifying, TERMINAL, 30_000)]);
    expect(gate.state, (await eventsOf(db(), analyzing)).join('\n')).toBe('rejected');
    expect(gate.verdict).toBe('error');
    expect(gate.state_reason).toContain(`could not be measured ${ERROR_LIMIT + 1} times in a row; ${ERROR_LIMIT} tolerated`);
    expect(gate.state_reason).toContain('nothing was patched');
    expect(patchesOf(kube, 'gate', 'web')).toHaveLength(0);
    expect(image('gate')).toBe(OLD);
    const gateResults = await results(analyzing, 'pre');
    // Passes, then exactly limit + 1 errors in a row, and no pass after the stop.
    const firstError = gateResults.sequence.indexOf('error');
    expect(firstError).toBeGreaterThanOrEqual(2);
    expect(gateResults.sequence.slice(firstError)).toEqual(Array(ERROR_LIMIT + 1).fill('error'));

    expect(bake.state, (await eventsOf(db(), verifying)).join('\n')).toBe('rolled_back');
    expect(bake.state_reason).toContain('post-rollout check failed');
    expect(bake.state_reason).toContain(`could not be measured ${ERROR_LIMIT + 1} times in a row`);
    expect(image('bake')).toBe(OLD);
    const patches = patchesOf(kube, 'bake', 'web');
    expect(statusCounts(patches)).toEqual({ '200': 2 }); // the promotion and its rollback
    const bakeResults = await results(verifying, 'post');
    const firstPostError = bakeResults.sequence.indexOf('error');
    expect(bakeResults.sequence.slice(firstPostError)).toEqual(Array(ERROR_LIMIT + 1).fill('error'));

    const events = await eventsOf(db(), verifying);
    const [gateTimes, bakeTimes] = await Promise.all([transitionTimes(db(), analyzing), transitionTimes(db(), verifying)]);
    report('prometheus/analyzing', {
      consecutiveErrorLimit: ERROR_LIMIT,
      resultsBeforeStop: before.gate,
      preSequence: gateResults.sequence,
      firstErrorMessage: gateResults.firstError,
      prometheusStopTookMs: stoppedMs,
      msFromStopToRejected: (gateTimes.rejected ?? 0) - stopAt,
      state: gate.state,
      verdict: gate.verdict,
      reason: gate.state_reason,
      patchRequests: 0,
    });
    report('prometheus/verifying', {
      consecutiveErrorLimit: ERROR_LIMIT,
      resultsBeforeStop: before.bake,
      postSequence: bakeResults.sequence,
      firstErrorMessage: bakeResults.firstError,
      msFromStopToRollingBack: (bakeTimes.rolling_back ?? 0) - stopAt,
      msFromStopToRolledBack: (bakeTimes.rolled_back ?? 0) - stopAt,
      state: bake.state,
      reason: bake.state_reason,
      patchRequests: statusCounts(patches),
      transitions: events.filter((e) => e.startsWith('transition')).map((e) => e.split(':')[0]),
    });
  }, 80_000);
});
