/**
 * The whole runbook from one POST /v1/promotions: real HTTP API, a real database (PostgreSQL, or the
 * embedded PGlite every newcomer runs: engine.e2e.test.ts and engine.pglite.e2e.test.ts run this body, as
 * two files so that they run side by side), real Prometheus scraping an exporter the test controls, and the
 * fake Kubernetes API server driven by client-node. Each test uses its own namespace, so their metrics and
 * Deployments never meet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PromotionEngine } from '../../services/promoter/src/engine/promotion-engine.js';
import type { FakeKube } from '@promoter/fake-kube';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { startEngine, waitForState, fakeKubeClient } from '../fixtures/engine.js';
import type { Exporter } from '../fixtures/exporter.js';
import { ERROR_RATIO_QUERY, startRunbookStack, type RunbookStack } from '../fixtures/runbook-stack.js';
import type { TestEngine } from '../fixtures/database.js';
import { startTestService, type TestService } from '../fixtures/service.js';

const POLICY = {
  interval: '1s',
  bake: '2s',
  rolloutTimeout: '3s',
  checks: [
    {
      name: 'error-rate',
      phases: ['pre', 'rollout', 'post'],
      query: ERROR_RATIO_QUERY,
      max: 0.05,
    },
  ],
};

/** Registers the suite on a `databaseEngine` database. */
export function engineEndToEnd(databaseEngine: TestEngine): void {
  describe(`promotion engine end to end on ${databaseEngine}`, () => {
    let stack: RunbookStack;
    let exporter: Exporter;
    let kube: FakeKube;
    let svc: TestService;
    let engine: PromotionEngine;

    beforeAll(async () => {
      stack = await startRunbookStack({
        namespaces: ['happy', 'gate', 'post', 'stall', 'forbidden', 'abort', 'other', 'dry', 'approve', 'manual', 'hotfix', 'crash'],
        errorRatio: (namespace, variant) => (namespace === 'gate' && variant === 'canary' ? 0.2 : 0.01),
      });
      ({ exporter, kube } = stack);
      const promClient = stack.prometheusClient();
      const kubeClient = fakeKubeClient(kube);
      svc = await startTestService({ prometheus: promClient, kube: kubeClient, engine: databaseEngine });
      expect((await svc.app.inject({ method: 'PUT', url: '/v1/policies/web', payload: POLICY })).statusCode).toBe(201);
      engine = startEngine(svc, kube, promClient);
    }, 90_000);

    afterAll(async () => {
      await engine?.stop();
      await svc?.close();
      await stack?.close();
    });

    const promote = async (namespace: string, extra: Record<string, unknown> = {}) => {
      const response = await svc.app.inject({
        method: 'POST',
        url: '/v1/promotions',
        payload: {
          target: { namespace, deployment: 'web', container: 'app' },
          source: { deployment: 'web-canary', tagSuffixToStrip: '-canary' },
          policy: 'web',
          reason: `e2e ${namespace}`,
          ...extra,
        },
      });
      assertMatchesSpec('createPromotion', response);
      expect(response.statusCode, response.body).toBe(201);
      return response.json().id as string;
    };
    const patches = (namespace: string) =>
      kube.requests.filter((r) => r.method === 'PATCH' && r.path === `/apis/apps/v1/namespaces/${namespace}/deployments/web`);
    const image = (namespace: string) => kube.getDeployment(namespace, 'web')?.spec.template.spec.containers[0]?.image;

    it('promotes: gate, patch with annotations, rollout, bake, succeeded', async () => {
      const id = await promote('happy');
      const done = await waitForState(svc, id, ['succeeded', 'rejected', 'rolled_back', 'failed', 'aborted']);
      expect(done, String(done.stateReason)).toMatchObject({ state: 'succeeded', verdict: 'pass', resolvedImage: 'registry.example/web:1.1.0', previousImage: 'registry.example/web:1.0.0' });
      expect(image('happy')).toBe('registry.example/web:1.1.0');
      const annotations = kube.getDeployment('happy', 'web')?.metadata.annotations ?? {};
      expect(annotations['promoter.dev/promotion-id']).toBe(id);
      expect(annotations['kubernetes.io/change-cause']).toContain('registry.example/web:1.0.0 -> registry.example/web:1.1.0');
      expect(patches('happy')).toHaveLength(1);
      expect(patches('happy')[0]?.contentType).toBe('application/json-patch+json');
      const events = (done.events as { from: string | null; to: string | null; type: string }[]).filter((e) => e.type === 'transition' || e.type === 'created');
      expect(events.map((e) => e.to)).toEqual(['pending', 'analyzing', 'promoting', 'verifying', 'succeeded']);
      const checks = done.checkResults as { phase: string; result: string; query: string }[];
      expect(checks.some((c) => c.phase === 'pre' && c.result === 'pass' && c.query.includes('variant="canary"'))).toBe(true);
      expect(checks.some((c) => c.phase === 'post' && c.result === 'pass' && c.query.includes('variant="production"'))).toBe(true);
      // Sample numbers come from the tally the engine keeps: 1, 2, 3, ... in each phase. The gate and the bake
      // always measure; the rollout is measured only while it lasts, which may be shorter than an interval.
      for (const phase of ['pre', 'rollout', 'post']) {
        const samples = (done.checkResults as { phase: string; sample: number }[]).filter((c) => c.phase === phase).map((c) => c.sample);
        if (phase !== 'rollout') expect(samples.length, phase).toBeGreaterThan(0);
        expect(samples, phase).toEqual(samples.map((_, i) => i + 1));
      }
      const metrics = await svc.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/promoter_promotions_total\{outcome="succeeded"\} [1-9]/);
      expect(metrics.body).toMatch(/promoter_check_results_total\{check="error-rate",result="pass"\} [1-9]/);
    });

    it('never reports success for an image production no longer runs: a hotfix during verification stops it as superseded', async () => {
      await svc.app.inject({ method: 'PUT', url: '/v1/policies/long-bake', payload: { ...POLICY, bake: '60s' } });
      const id = await promote('hotfix', { policy: 'long-bake' });
      await waitForState(svc, id, ['verifying']);
      kube.updateDeployment('hotfix', 'web', (d) => {
        const container = d.spec.template.spec.containers[0];
        if (container) container.image = 'registry.example/web:1.1.1-hotfix';
      });
      const done = await waitForState(svc, id, ['failed', 'rolled_back', 'succeeded']);
      expect(done.state).toBe('failed');
      expect(done.stateReason).toMatch(/^superseded: Deployment hotfix\/web now runs registry\.example\/web:1\.1\.1-hotfix in app, not registry\.example\/web:1\.1\.0/);
      expect(image('hotfix')).toBe('registry.example/web:1.1.1-hotfix');
      expect(patches('hotfix')).toHaveLength(1);
    });

    it('rejects on a failing gate and patches nothing', async () => {
      const id = await promote('gate');
      const done = await waitForState(svc, id, ['rejected', 'succeeded', 'failed']);
      expect(done.state).toBe('rejected');
      expect(done.stateReason).toContain('error-rate failed');
      expect(done.stateReason).toContain('nothing was patched');
      expect(patches('gate')).toHaveLength(0);
      expect(image('gate')).toBe('registry.example/web:1.0.0');
    });

    it('stops a dry run after the gate with its verdict', async () => {
      const id = await promote('dry', { dryRun: true });
      const done = await waitForState(svc, id, ['succeeded', 'rejected', 'failed']);
      // A dry run says which image it would have promoted and which it would replace.
      expect(done).toMatchObject({ state: 'succeeded', verdict: 'pass', resolvedImage: 'registry.example/web:1.1.0', previousImage: 'registry.example/web:1.0.0' });
      expect(done.stateReason).toContain('dry run: the gate passed');
      expect(done.stateReason).toContain('would set app from registry.example/web:1.0.0 to registry.example/web:1.1.0');
      expect(patches('dry')).toHaveLength(0);
      const rollback = await svc.app.inject({ method: 'POST', url: `/v1/promotions/${id}/rollback`, payload: {} });
      expect(rollback.statusCode).toBe(409);
      expect(rollback.json().detail).toContain('a dry run');
    });

    it('rolls back when a post-rollout check fails, restoring the old image', async () => {
      const id = await promote('post');
      await waitForState(svc, id, ['promoting', 'verifying', 'rolling_back', 'rolled_back', 'failed']);
      exporter.set('app_error_ratio', { namespace: 'post', variant: 'production' }, 0.3);
      const done = await waitForState(svc, id, ['rolled_back', 'succeeded', 'failed']);
      expect(done.state).toBe('rolled_back');
      expect(done.stateReason).toMatch(/check failed: error-rate failed/);
      expect(image('post')).toBe('registry.example/web:1.0.0');
      expect(patches('post')).toHaveLength(2);
    });

    it('rolls back a rollout that stalls, saying why the new pods are not ready', async () => {
      const pull = 'Back-off pulling image "registry.example/web:1.1.0": manifest unknown';
      kube.setRollout('stall', 'web', { stall: true, podTrouble: { waiting: { reason: 'ImagePullBackOff', message: pull } } });
      const id = await promote('stall');
      await waitForState(svc, id, ['rolling_back', 'rolled_back', 'failed', 'succeeded']);
      kube.setRollout('stall', 'web', { stall: false });
      const done = await waitForState(svc, id, ['rolled_back', 'failed', 'succeeded']);
      expect(done.state).toBe('rolled_back');
      expect(done.stateReason).toContain('rollout did not complete within 3s');
      expect(done.stateReason).toMatch(new RegExp(`new pods are not ready: app: ImagePullBackOff: ${pull.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(web-`));
      const note = (done.events as { type: string; reason: string; data: { pods?: unknown[] } | null }[]).find((e) => e.reason.startsWith('why the rollout stalled'));
      expect(note?.data?.pods?.length).toBeGreaterThan(0);
      expect(image('stall')).toBe('registry.example/web:1.0.0');
    });

    it('names the crash loop and its exit code when a rollout exceeds its progress deadline', async () => {
      kube.setRollout('crash', 'web', {
        failProgressDeadline: true,
        deadlineMs: 300,
        podTrouble: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=app' }, exitCode: 2, restartCount: 3 },
      });
      const id = await promote('crash');
      await waitForState(svc, id, ['rolling_back', 'rolled_back', 'failed', 'succeeded']);
      kube.setRollout('crash', 'web', { failProgressDeadline: false, stall: false, podTrouble: undefined });
      const done = await waitForState(svc, id, ['rolled_back', 'failed', 'succeeded']);
      expect(done.state).toBe('rolled_back');
      expect(done.stateReason).toMatch(/^rollout failed: progress deadline exceeded: .*new pods are not ready: app: CrashLoopBackOff: back-off 20s restarting failed container=app, last exit code 2 \(Error\), 3 restarts/);
    });

    it('fails on 403 for the patch and leaves the Deployment as it was', async () => {
      kube.failNext({ method: 'PATCH', path: '/apis/apps/v1/namespaces/forbidden/deployments/web', status: 403 });
      const id = await promote('forbidden');
      const done = await waitForState(svc, id, ['failed', 'succeeded', 'rolled_back']);
      expect(done.state).toBe('failed');
      expect(done.stateReason).toMatch(/forbidden/i);
      expect(done.stateReason).toContain('left as it was found');
      expect(image('forbidden')).toBe('registry.example/web:1.0.0');
    });

    it('aborts during verifying by rolling back', async () => {
      await svc.app.inject({ method: 'PUT', url: '/v1/policies/long-bake', payload: { ...POLICY, bake: '60s' } });
      const id = await promote('abort', { policy: 'long-bake' });
      await waitForState(svc, id, ['verifying']);
      const abort = await svc.app.inject({ method: 'POST', url: `/v1/promotions/${id}/abort`, payload: { reason: 'changed my mind' } });
      expect(abort.statusCode).toBe(200);
      const done = await waitForState(svc, id, ['aborted', 'failed']);
      expect(done.state).toBe('aborted');
      expect(image('abort')).toBe('registry.example/web:1.0.0');
      expect(patches('abort')).toHaveLength(2);
    });

    it('does not roll back over an image someone else set during verification', async () => {
      const id = await promote('other', { policy: 'long-bake' });
      await waitForState(svc, id, ['verifying']);
      kube.updateDeployment('other', 'web', (d) => {
        const container = d.spec.template.spec.containers[0];
        if (container) container.image = 'registry.example/web:hotfix';
      });
      exporter.set('app_error_ratio', { namespace: 'other', variant: 'production' }, 0.3);
      const done = await waitForState(svc, id, ['failed', 'rolled_back', 'succeeded']);
      expect(done.state).toBe('failed');
      expect(done.stateReason).toContain('superseded: Deployment other/web now runs registry.example/web:hotfix');
      expect(image('other')).toBe('registry.example/web:hotfix');
      expect(patches('other')).toHaveLength(1);
    });

    it('waits for approval, then promotes and scales the canary down after success', async () => {
      await svc.app.inject({ method: 'PUT', url: '/v1/policies/approved', payload: { ...POLICY, approval: 'required', afterSuccess: { scaleCanaryTo: 0 } } });
      const id = await promote('approve', { policy: 'approved' });
      const waiting = await waitForState(svc, id, ['awaiting_approval', 'rejected', 'failed']);
      expect(waiting.state).toBe('awaiting_approval');
      expect(patches('approve')).toHaveLength(0);
      const approve = await svc.app.inject({ method: 'POST', url: `/v1/promotions/${id}/approve`, payload: { reason: 'looks good' } });
      assertMatchesSpec('approvePromotion', approve);
      expect(approve.statusCode).toBe(200);
      const done = await waitForState(svc, id, ['succeeded', 'failed', 'rolled_back']);
      expect(done.state).toBe('succeeded');
      expect(kube.getDeployment('approve', 'web-canary')?.spec.replicas).toBe(0);
      const types = (done.events as { type: string; reason: string | null }[]).map((e) => e.type);
      expect(types).toContain('approval');
      expect(types).toContain('scale');
    });

    it('rolls back a succeeded promotion on request', async () => {
      const id = await promote('manual');
      expect((await waitForState(svc, id, ['succeeded', 'failed', 'rolled_back'])).state).toBe('succeeded');
      expect(image('manual')).toBe('registry.example/web:1.1.0');
      const rollback = await svc.app.inject({ method: 'POST', url: `/v1/promotions/${id}/rollback`, payload: { reason: 'customer reports' } });
      assertMatchesSpec('rollbackPromotion', rollback);
      expect(rollback.statusCode).toBe(200);
      const done = await waitForState(svc, id, ['rolled_back', 'failed']);
      expect(done.state).toBe('rolled_back');
      expect(image('manual')).toBe('registry.example/web:1.0.0');
      expect(patches('manual')).toHaveLength(2);
    });

    it('refuses a promotion whose Deployment or container does not exist (422, nothing stored)', async () => {
      const response = await svc.app.inject({
        method: 'POST',
        url: '/v1/promotions',
        payload: { target: { namespace: 'happy', deployment: 'nope', container: 'app' }, source: { deployment: 'web-canary', container: 'sidecar' }, policy: 'web' },
      });
      expect(response.statusCode).toBe(422);
      expect(response.json().errors).toEqual([
        { pointer: '/body/target/deployment', detail: 'the target Deployment happy/nope does not exist' },
        { pointer: '/body/source/container', detail: "the canary Deployment happy/web-canary has no container 'sidecar' (it has app)" },
      ]);
      const stored = await svc.app.inject({ method: 'GET', url: '/v1/promotions?namespace=happy&deployment=nope' });
      expect(stored.statusCode).toBe(200);
      expect(stored.json().items).toEqual([]);
    });
  });
}
