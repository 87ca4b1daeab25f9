/**
 * Fault injection on the Kubernetes API: 500s and 409s on the image patch, a patch that is never
 * answered, failing reads while the rollout is followed, and a 500 that never stops. The engine runs in
 * this process (real Postgres, the real HTTP API through inject) against the fake Kubernetes API server,
 * with a short client deadline so a hung request is given up quickly. The gate is a webhook check this
 * test serves, so Prometheus is not involved here.
 *
 * What must hold: a transient fault is retried (by the adapter within one call, then by the engine with
 * backoff) and the promotion still succeeds with exactly one effective patch (the Deployment's
 * generation moves once); a fault that never clears ends `failed` with the Deployment untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientNodeKubernetesClient } from '../../services/promoter/src/adapters/kubernetes/client-node-kubernetes-client.js';
import type { PromotionEngine } from '../../services/promoter/src/engine/promotion-engine.js';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { startEngine } from '../fixtures/engine.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { eventsOf, patchesOf, report, startWebhook, statusCounts, TERMINAL, waitForDbState, webhookPolicy, type Webhook } from './support.js';

const OLD = 'registry.example/web:1.0.0';
const NEW = 'registry.example/web:2.0.0';
/** The adapter's deadline for one attempt, and for a whole call (retries included). */
const ATTEMPT_TIMEOUT_MS = 500;
const CALL_TIMEOUT_MS = 3_000;

describe('Kubernetes API faults', () => {
  let kube: FakeKube;
  let webhook: Webhook;
  let svc: TestService;
  let engine: PromotionEngine;

  beforeAll(async () => {
    kube = await startFakeKube();
    webhook = await startWebhook();
    const verifierClient = new ClientNodeKubernetesClient(kube.kubeConfig(), { attempts: 1 });
    svc = await startTestService({ kube: verifierClient, webhookPolicy: { allowedUrls: [webhook.url], secrets: {} } });
    expect((await svc.app.inject({ method: 'PUT', url: '/v1/policies/kube', payload: webhookPolicy(webhook.url) })).statusCode).toBe(201);
    const client = new ClientNodeKubernetesClient(kube.kubeConfig(), {
      attempts: 3,
      baseDelayMs: 20,
      maxDelayMs: 100,
      attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
      timeoutMs: CALL_TIMEOUT_MS,
    });
    engine = startEngine(svc, kube, svc.queries, { client });
  }, 60_000);

  afterAll(async () => {
    await engine?.stop();
    await svc?.close();
    await webhook?.close();
    await kube?.close();
  });

  /** A Deployment of its own per scenario, then one promotion of it; returns the promotion id. */
  const promote = async (namespace: string, rollout?: { stepMs: number }): Promise<string> => {
    kube.addDeployment({ namespace, name: 'web', containers: [{ name: 'app', image: OLD }], replicas: 3, ...(rollout ? { rollout } : {}) });
    const response = await svc.app.inject({
      method: 'POST',
      url: '/v1/promotions',
      payload: { target: { namespace, deployment: 'web', container: 'app' }, image: NEW, policy: 'kube', reason: `faults ${namespace}` },
    });
    expect(response.statusCode, response.body).toBe(201);
    return (response.json() as { id: string }).id;
  };
  const patchPath = (namespace: string) => `/apis/apps/v1/namespaces/${namespace}/deployments/web`;
  const deployment = (namespace: string) => kube.getDeployment(namespace, 'web');
  const db = () => svc.database.handle.db;

  /** The common outcome: succeeded, the new image, one effective change (generation 1 -> 2). */
  const expectOnePatchSucceeded = async (namespace: string, id: string) => {
    const done = await waitForDbState(db(), id, TERMINAL, 30_000);
    expect(done.state, (await eventsOf(db(), id)).join('\n')).toBe('succeeded');
    expect(deployment(namespace)?.spec.template.spec.containers[0]?.image).toBe(NEW);
    expect(deployment(namespace)?.metadata.generation).toBe(2);
    const patches = patchesOf(kube, namespace, 'web');
    expect(patches.filter((p) => p.status === 200)).toHaveLength(1);
    return patches;
  };

  it('retries two 500s on the patch inside one adapter call: one effective patch, succeeded', async () => {
    kube.failNext({ method: 'PATCH', path: patchPath('k500'), status: 500, times: 2 });
    const started = Date.now();
    const id = await promote('k500');
    const patches = await expectOnePatchSucceeded('k500', id);
    expect(statusCounts(patches)).toEqual({ '200': 1, '500': 2 });
    const retryEvents = (await eventsOf(db(), id)).filter((e) => e.startsWith('retry'));
    expect(retryEvents).toHaveLength(0); // absorbed by the adapter, the engine never saw a failure
    report('kube/500x2', { patchRequests: statusCounts(patches), engineRetryEvents: retryEvents.length, generation: deployment('k500')?.metadata.generation, msToSucceeded: Date.now() - started });
  });

  it('retries five 500s across two engine steps (adapter gives up after 3, engine backs off): one effective patch', async () => {
    kube.failNext({ method: 'PATCH', path: patchPath('k500x5'), status: 500, times: 5 });
    const started = Date.now();
    const id = await promote('k500x5');
    const patches = await expectOnePatchSucceeded('k500x5', id);
    expect(statusCounts(patches)).toEqual({ '200': 1, '500': 5 });
    const retryEvents = (await eventsOf(db(), id)).filter((e) => e.startsWith('retry'));
    expect(retryEvents).toHaveLength(1);
    expect(retryEvents[0]).toContain('retrying (1 of 5)');
    const firstOk = patches.find((p) => p.status === 200)?.time ?? 0;
    report('kube/500x5', {
      patchRequests: statusCounts(patches),
      engineRetryEvents: retryEvents,
      msFromFirstPatchToSuccessfulPatch: firstOk - (patches[0]?.time ?? 0),
      generation: deployment('k500x5')?.metadata.generation,
      msToSucceeded: Date.now() - started,
    });
  });

  it('retries two 409 conflicts on the patch: one effective patch, succeeded', async () => {
    kube.failNext({ method: 'PATCH', path: patchPath('k409'), status: 409, times: 2 });
    const started = Date.now();
    const id = await promote('k409');
    const patches = await expectOnePatchSucceeded('k409', id);
    expect(statusCounts(patches)).toEqual({ '200': 1, '409': 2 });
    report('kube/409x2', { patchRequests: statusCounts(patches), generation: deployment('k409')?.metadata.generation, msToSucceeded: Date.now() - started });
  });

  it('gives up on a patch that is never answered after the attempt timeout and retries it: one effective patch', async () => {
    kube.hangNext({ method: 'PATCH', path: patchPath('khang') });
    const started = Date.now();
    const id = await promote('khang');
    const patches = await expectOnePatchSucceeded('khang', id);
    const hung = patches.find((p) => p.fault === 'hang');
    const ok = patches.find((p) => p.status === 200);
    expect(hung?.closedByClient).toBe(true); // the adapter tore the request down, it did not just stop waiting
    expect(statusCounts(patches)).toEqual({ '200': 1, 'hung-then-aborted-by-client': 1 });
    const waited = (ok?.time ?? 0) - (hung?.time ?? 0);
    report('kube/hang', { patchRequests: statusCounts(patches), attemptTimeoutMs: ATTEMPT_TIMEOUT_MS, msFromHungPatchToRetriedPatch: waited, generation: deployment('khang')?.metadata.generation, msToSucceeded: Date.now() - started });
  });

  it('rides out failing and hung reads while it follows the rollout: one effective patch', async () => {
    const namespace = 'kreads';
    const id = await promote(namespace, { stepMs: 100 }); // about 1 s of rollout to follow
    // Once patched, the status reads fail: 503, 500, a hang, then 503 again.
    await waitForDbState(db(), id, ['promoting', ...TERMINAL], 10_000, async () => patchesOf(kube, namespace, 'web').some((p) => p.status === 200));
    const since = kube.requests.length;
    kube.failNext({ method: 'GET', path: patchPath(namespace), status: 503, times: 2 });
    kube.hangNext({ method: 'GET', path: patchPath(namespace) });
    kube.failNext({ method: 'GET', path: patchPath(namespace), status: 500, times: 2 });
    const patches = await expectOnePatchSucceeded(namespace, id);
    const reads = kube.requests.slice(since).filter((r) => r.method === 'GET' && r.path === patchPath(namespace));
    expect(reads.filter((r) => r.fault !== undefined)).toHaveLength(5);
    report('kube/reads', { patchRequests: statusCounts(patches), readsAfterPatch: statusCounts(reads), retryEvents: (await eventsOf(db(), id)).filter((e) => e.startsWith('retry')).length });
  });

  it('fails after five failed calls when the patch always answers 500, leaving the Deployment as it was', async () => {
    const namespace = 'kdown';
    kube.failNext({ method: 'PATCH', path: patchPath(namespace), status: 500, times: Number.POSITIVE_INFINITY });
    const started = Date.now();
    const id = await promote(namespace);
    const done = await waitForDbState(db(), id, TERMINAL, 40_000);
    kube.clearFaults();
    expect(done.state).toBe('failed');
    expect(done.state_reason).toContain('left as it was found');
    expect(deployment(namespace)?.spec.template.spec.containers[0]?.image).toBe(OLD);
    expect(deployment(namespace)?.metadata.generation).toBe(1);
    const patches = patchesOf(kube, namespace, 'web');
    expect(statusCounts(patches)).toEqual({ '500': 15 }); // 5 engine attempts x 3 adapter attempts
    const retryEvents = (await eventsOf(db(), id)).filter((e) => e.startsWith('retry'));
    expect(retryEvents).toHaveLength(4);
    report('kube/500-forever', { state: done.state, reason: done.state_reason, patchRequests: statusCounts(patches), engineRetryEvents: retryEvents.length, generation: deployment(namespace)?.metadata.generation, msToFailed: Date.now() - started });
  }, 60_000);
});
