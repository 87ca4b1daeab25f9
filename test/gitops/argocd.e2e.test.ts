/**
 * Git deliveries that name their Argo CD Application, through the whole service: the API and the engine on
 * PostgreSQL, a real git server (git http-backend with a token), and Argo CD in the fake Kubernetes API
 * polling Git every 180 s, as it does by default. The service asks it to refresh and to sync after each
 * commit, so a promotion and its rollback complete in seconds, not at the next poll; a failed sync and a
 * Degraded health roll the promotion back with Argo CD's own message. Without `argocd` nothing asks Argo
 * CD anything. Each scenario has its own namespace, repository and Application.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type ArgoCdController, type FakeKube } from '@promoter/fake-kube';
import { ClientNodeArgoCdApplications } from '../../services/promoter/src/adapters/kubernetes/argocd-applications.js';
import type { PromotionEngine } from '../../services/promoter/src/engine/promotion-engine.js';
import { createEngine } from '../../services/promoter/src/service.js';
import { CannedPrometheus } from '../fixtures/canned-prometheus.js';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { waitForState, fakeKubeClient } from '../fixtures/engine.js';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';
import { startGitOpsController, type GitOpsController } from '../fixtures/gitops-controller.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { snippetsOf } from '../docs/markdown-snippets.js';
import { MANIFEST, makeDelivery, writeTokenFile } from './support.js';

const TOKEN = 'argocd-e2e-token-77d1e0';
const OLD = 'ronaldraygun/zai-proxy:1.2.0';
const CANARY = 'ronaldraygun/zai-proxy:1.2.1-canary';
const NEW = 'ronaldraygun/zai-proxy:1.2.1';
const WITH_ARGOCD = ['argo-happy', 'argo-bad', 'argo-failsync', 'argo-failboth', 'argo-degraded', 'argo-input'] as const;
const WITHOUT = 'argo-none';
/** Far below Argo CD's 180 s poll: the promotion cannot be waiting for it. */
const GENEROUS_MS = 60_000;
const SYNC_FAILURE = 'one or more objects failed to apply, reason: admission webhook "validate.kyverno.svc" denied the request: image registry not allowed';

const POLICY = {
  interval: '500ms',
  bake: '3s',
  rolloutTimeout: '50s',
  checks: [{ name: 'error-rate', phases: ['pre', 'rollout', 'post'], query: 'error_ratio{namespace="{{namespace}}",variant="{{variant}}"}', max: 0.05 }],
};

/** The README's Git delivery with an Argo CD Application ("GitOps > Argo CD Application"), as a user would send it. */
const README_DELIVERY = JSON.parse(
  snippetsOf(fileURLToPath(new URL('../..', import.meta.url)), 'README.md').find((s) => s.heading === 'Argo CD Application' && s.lang === 'json')?.code ?? 'null',
) as { via: string; repository: string; file: string; argocd: { application: string; namespace: string } };

type Detail = Record<string, unknown> & { state: string; stateReason?: string; events?: Array<{ type: string; reason: string; data?: Record<string, unknown> }> };

describe('Git deliveries followed through their Argo CD Application (Argo CD polling every 180 s)', () => {
  let kube: FakeKube;
  let argo: ArgoCdController;
  let server: GitServer;
  let oldController: GitOpsController;
  let svc: TestService;
  let engine: PromotionEngine;
  const prometheus = new CannedPrometheus().answer(/error_ratio/, 0.01);

  beforeAll(async () => {
    kube = await startFakeKube();
    server = await startGitServer({ token: TOKEN });
    const namespaces = [...WITH_ARGOCD, WITHOUT];
    for (const ns of namespaces) {
      kube.addDeployment({ namespace: ns, name: 'zai-proxy', containers: [{ name: 'proxy', image: OLD }, { name: 'sidecar', image: 'envoyproxy/envoy:v1.30.1' }], replicas: 2 });
      kube.addDeployment({ namespace: ns, name: 'zai-proxy-test', containers: [{ name: 'proxy', image: CANARY }], replicas: 1 });
      await server.createRepository(ns, { 'apps/zai-proxy.yaml': MANIFEST.replace('namespace: mcp', `namespace: ${ns}`) });
    }
    argo = kube.startArgoCd({ pollMs: 180_000, repositories: Object.fromEntries(WITH_ARGOCD.map((ns) => [server.httpUrl(ns), server.barePath(ns)])) });
    for (const ns of WITH_ARGOCD) argo.addApplication({ name: ns, repoURL: server.httpUrl(ns), path: 'apps', targetRevision: 'main', destinationNamespace: ns });
    // Without `argocd`, a controller of today's kind (a short poll) keeps syncing, as before.
    oldController = startGitOpsController({
      kubeConfig: kube.kubeConfig(),
      intervalMs: 100,
      applications: [{ name: WITHOUT, repository: server.barePath(WITHOUT), file: 'apps/zai-proxy.yaml', target: { namespace: WITHOUT, deployment: 'zai-proxy', container: 'proxy' } }],
    });
    const tokenFile = await writeTokenFile(TOKEN);
    const git = await makeDelivery(namespaces.map((name) => ({ name, url: server.httpUrl(name), auth: { type: 'token', tokenFile } })));
    const applications = new ClientNodeArgoCdApplications(kube.kubeConfig(), { attempts: 1 });
    svc = await startTestService({ kube: fakeKubeClient(kube), git: git.delivery, argocd: applications });
    expect((await svc.app.inject({ method: 'PUT', url: '/v1/policies/argocd', payload: POLICY })).statusCode).toBe(201);
    engine = createEngine({
      db: svc.database.handle.db,
      kube: fakeKubeClient(kube),
      prometheus,
      git: git.delivery,
      argocd: new ClientNodeArgoCdApplications(kube.kubeConfig(), { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 }),
      argocdSync: true,
      log: svc.app.log,
      metrics: svc.metrics,
      pollMs: 50,
      rolloutPollMs: 100,
      leaseMs: 10_000,
    });
    engine.start();
    // Argo CD has compared every Application once (Synced at the initial commit) before anything is promoted.
    await waitFor(() => WITH_ARGOCD.every((ns) => (kube.getApplication('argocd', ns)?.status as { sync?: { status?: string } } | undefined)?.sync?.status === 'Synced'));
  }, 60_000);

  afterAll(async () => {
    await engine?.stop();
    await svc?.close();
    await oldController?.stop();
    await server?.close();
    await kube?.close();
  });

  /** `argocd` null: a delivery without it. */
  const request = (namespace: string, argocd: Record<string, unknown> | null = { application: namespace }) => ({
    target: { namespace, deployment: 'zai-proxy', container: 'proxy' },
    source: { deployment: 'zai-proxy-test', tagSuffixToStrip: '-canary' },
    policy: 'argocd',
    reason: `promote 1.2.1 (${namespace})`,
    delivery: { via: 'git', repository: namespace, file: 'apps/zai-proxy.yaml', ...(argocd ? { argocd } : {}) },
  });
  const promote = async (namespace: string, argocd?: Record<string, unknown> | null) => {
    const response = await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: request(namespace, argocd) });
    assertMatchesSpec('createPromotion', response);
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id as string;
  };
  const image = (namespace: string) => kube.getDeployment(namespace, 'zai-proxy')?.spec.template.spec.containers[0]?.image;
  const head = async (namespace: string) => (await server.git(namespace, ['rev-parse', 'main'])).trim();
  const end = (id: string) => waitForState(svc, id, ['succeeded', 'rolled_back', 'failed', 'aborted', 'rejected'], GENEROUS_MS) as Promise<Detail>;
  const applicationWrites = (namespace: string) => kube.requests.filter((r) => r.path.includes('/applications/') && r.method === 'PATCH' && r.path.endsWith(`/${namespace}`));

  it('promotes with a 3 s bake in seconds: refresh and sync of its commit, Synced and Healthy, then the bake', async () => {
    const started = Date.now();
    // The README's delivery, pointed at this scenario's repository, file and Application.
    const body = { ...request('argo-happy'), delivery: { ...README_DELIVERY, repository: 'argo-happy', file: 'apps/zai-proxy.yaml', argocd: { ...README_DELIVERY.argocd, application: 'argo-happy' } } };
    const created = await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: body });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const done = await end(id);
    expect(done.state, done.stateReason).toBe('succeeded');
    expect(Date.now() - started).toBeLessThan(GENEROUS_MS);
    expect(image('argo-happy')).toBe(NEW);
    const commit = await head('argo-happy');
    expect(done.delivery).toMatchObject({ commit, argocd: { application: 'argo-happy', namespace: 'argocd' } });
    // What was asked of Argo CD: a refresh annotation, then the operation, initiated by promoter.
    const writes = applicationWrites('argo-happy').map((r) => r.body);
    expect(writes).toEqual([
      { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } },
      { operation: { sync: { revision: commit }, initiatedBy: { username: 'promoter' } } },
    ]);
    expect(argo.syncs.filter((s) => s.application === 'argo-happy')).toEqual([expect.objectContaining({ revision: commit, phase: 'Succeeded', initiatedBy: 'promoter' })]);
    const events = done.events ?? [];
    expect(events).toContainEqual(expect.objectContaining({ type: 'note', reason: `asked Argo CD application argocd/argo-happy to refresh and to sync ${commit.slice(0, 12)}` }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'rollout', reason: `Argo CD synced argocd/argo-happy to ${commit.slice(0, 12)} and reports it Healthy` }));
    const app = kube.getApplication('argocd', 'argo-happy') as { status: { sync: { revision: string }; health: { status: string }; history: Array<{ revision: string }> } };
    expect(app.status.sync.revision).toBe(commit);
    expect(app.status.history.at(-1)?.revision).toBe(commit);
  });

  it('rolls back when a post-rollout check fails, and Argo CD runs the old image again in seconds', async () => {
    const id = await promote('argo-bad');
    await waitForState(svc, id, ['verifying', 'rolled_back', 'failed'], GENEROUS_MS);
    const broke = Date.now();
    prometheus.answer(/namespace="argo-bad",variant="production"/, 0.3);
    const done = await end(id);
    expect(done.state, done.stateReason).toBe('rolled_back');
    expect(done.stateReason).toMatch(/^post-rollout check failed: error-rate failed/);
    expect(image('argo-bad')).toBe(OLD);
    expect(Date.now() - broke).toBeLessThan(GENEROUS_MS);
    const revert = await head('argo-bad');
    expect(done.delivery).toMatchObject({ revertCommit: revert, revertMethod: 'revert' });
    expect(argo.syncs.filter((s) => s.application === 'argo-bad').map((s) => [s.revision, s.phase])).toEqual([
      [expect.any(String), 'Succeeded'],
      [revert, 'Succeeded'],
    ]);
  });

  it('a failed sync rolls the promotion back with Argo CD’s own message', async () => {
    argo.failNextSyncs(SYNC_FAILURE, { application: 'argo-failsync' });
    const id = await promote('argo-failsync');
    const done = await end(id);
    expect(done.state, done.stateReason).toBe('rolled_back');
    expect(done.stateReason).toBe(`rollout failed: Argo CD could not sync argocd/argo-failsync (operation Failed): ${SYNC_FAILURE}; rolled back to ${OLD}`);
    // The failed sync applied nothing; the revert was synced and production never left the old image.
    expect(image('argo-failsync')).toBe(OLD);
    expect((done.events ?? []).some((e) => e.type === 'rollout' && e.reason.includes(SYNC_FAILURE))).toBe(true);
  });

  it('a failed sync of the revert ends the promotion failed, with Argo CD’s message', async () => {
    argo.failNextSyncs(SYNC_FAILURE, { application: 'argo-failboth', times: 2 });
    const id = await promote('argo-failboth');
    const done = await end(id);
    expect(done.state, done.stateReason).toBe('failed');
    expect(done.stateReason).toBe(
      `rollout failed: Argo CD could not sync argocd/argo-failboth (operation Failed): ${SYNC_FAILURE}; the rollback failed too: Argo CD could not sync argocd/argo-failboth (operation Failed): ${SYNC_FAILURE}`,
    );
    expect(argo.syncs.filter((s) => s.application === 'argo-failboth').map((s) => s.phase)).toEqual(['Failed', 'Failed']);
  });

  it('a Degraded health after the sync rolls the promotion back with Argo CD’s message', async () => {
    argo.degradeAfterNextSync('argocd', 'argo-degraded', 'Back-off restarting failed container proxy in pod zai-proxy-7d9f');
    const id = await promote('argo-degraded');
    const done = await end(id);
    expect(done.state, done.stateReason).toBe('rolled_back');
    expect(done.stateReason).toBe(`rollout failed: Argo CD reports argocd/argo-degraded Degraded: Back-off restarting failed container proxy in pod zai-proxy-7d9f; rolled back to ${OLD}`);
    expect(image('argo-degraded')).toBe(OLD);
  });

  it('without `argocd`, nothing asks Argo CD anything and the cluster is followed as before', async () => {
    const before = kube.requests.filter((r) => r.path.includes('/applications')).length;
    const id = await promote(WITHOUT, null);
    const done = await end(id);
    expect(done.state, done.stateReason).toBe('succeeded');
    expect(image(WITHOUT)).toBe(NEW);
    expect(done.delivery).not.toHaveProperty('argocd');
    expect(kube.requests.filter((r) => r.path.includes('/applications')).length).toBe(before);
    expect((done.events ?? []).some((e) => e.reason.includes('Argo CD'))).toBe(false);
  });

  it('refuses an Application that does not exist, or that the service may not read, with a 422 naming the field', async () => {
    const missing = await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: request('argo-input', { application: 'nope', namespace: 'argocd' }) });
    assertMatchesSpec('createPromotion', missing);
    expect(missing.statusCode, missing.body).toBe(422);
    expect(missing.json().errors).toContainEqual({ pointer: '/body/delivery/argocd/application', detail: 'Argo CD Application argocd/nope does not exist' });
    kube.failNext({ method: 'GET', path: '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/argo-input', status: 403 });
    const forbidden = await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: request('argo-input') });
    expect(forbidden.statusCode, forbidden.body).toBe(422);
    expect(forbidden.json().errors).toContainEqual({ pointer: '/body/delivery/argocd/application', detail: expect.stringMatching(/^promoter may not read Argo CD Application argocd\/argo-input .*cannot get resource "applications" in API group "argoproj.io"/) });
    const unknownField = await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: request('argo-input', { application: 'argo-input', project: 'x' }) });
    expect(unknownField.statusCode).toBe(422);
    expect(JSON.stringify(unknownField.json().errors)).toContain('/body/delivery');
  });
});

async function waitFor(probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
