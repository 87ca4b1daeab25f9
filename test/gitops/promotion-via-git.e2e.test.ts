/**
 * The runbook's GitOps path from one POST /v1/promotions, through the whole service: the real API and
 * engine on PostgreSQL, a real Prometheus, a real git server (git http-backend with a token), a fake Argo
 * CD that syncs the repository to the fake Kubernetes API, and the release's VERSION commit and annotated
 * tag in the application's source repository. Each scenario has its own namespace and config repository.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { PrometheusClient } from '../../services/promoter/src/adapters/prometheus/prometheus-client.js';
import { PromotionStore } from '../../services/promoter/src/adapters/db/promotion-store.js';
import type { PromotionEngine } from '../../services/promoter/src/engine/promotion-engine.js';
import { PromotionEngine as Engine } from '../../services/promoter/src/engine/promotion-engine.js';
import { PromotionSteps } from '../../services/promoter/src/engine/promotion-steps.js';
import { GitOpsDelivery } from '../../services/promoter/src/engine/git-delivery.js';
import { KubernetesDelivery } from '../../services/promoter/src/engine/kubernetes-delivery.js';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { startEngine, waitForState, fakeKubeClient } from '../fixtures/engine.js';
import { startExporter, type Exporter } from '../fixtures/exporter.js';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';
import { startGitOpsController, type GitOpsController } from '../fixtures/gitops-controller.js';
import { startPrometheus, type PrometheusInstance } from '../fixtures/prometheus.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { MANIFEST, makeDelivery, poll, writeTokenFile, type DeliverySetup } from './support.js';

const TOKEN = 'gitops-e2e-token-3f9a1c';
const OLD = 'ronaldraygun/zai-proxy:1.2.0';
const CANARY = 'ronaldraygun/zai-proxy:1.2.1-canary';
const NEW = 'ronaldraygun/zai-proxy:1.2.1';
const SCENARIOS = ['happy', 'bad', 'drift', 'crash', 'input'] as const;

const POLICY = {
  interval: '1s',
  bake: '2s',
  rolloutTimeout: '20s',
  checks: [{ name: 'error-rate', phases: ['pre', 'rollout', 'post'], query: 'max(app_error_ratio{namespace="{{namespace}}",variant="{{variant}}"})', max: 0.05 }],
  afterSuccess: { release: { repository: 'app-source' } },
};

describe('promotions delivered through Git', () => {
  let exporter: Exporter;
  let prometheus: PrometheusInstance;
  let kube: FakeKube;
  let server: GitServer;
  let controller: GitOpsController;
  let git: DeliverySetup;
  let svc: TestService;
  let engine: PromotionEngine;

  beforeAll(async () => {
    exporter = await startExporter();
    kube = await startFakeKube();
    server = await startGitServer({ token: TOKEN });
    const tokenFile = await writeTokenFile(TOKEN);
    for (const ns of SCENARIOS) {
      exporter.set('app_error_ratio', { namespace: ns, variant: 'canary' }, 0.01);
      exporter.set('app_error_ratio', { namespace: ns, variant: 'production' }, 0.01);
      kube.addDeployment({ namespace: ns, name: 'zai-proxy', containers: [{ name: 'proxy', image: OLD }, { name: 'sidecar', image: 'envoyproxy/envoy:v1.30.1' }], replicas: 3 });
      kube.addDeployment({ namespace: ns, name: 'zai-proxy-test', containers: [{ name: 'proxy', image: CANARY }], replicas: 1 });
      await server.createRepository(ns, { 'apps/zai-proxy.yaml': MANIFEST.replace('namespace: mcp', `namespace: ${ns}`) });
    }
    await server.createRepository('app-source', { VERSION: '1.2.0\n', 'README.md': '# zai-proxy\n' });
    controller = startGitOpsController({
      kubeConfig: kube.kubeConfig(),
      intervalMs: 100,
      // No controller manages `drift`: its file is edited by hand to an image the cluster does not run.
      applications: SCENARIOS.filter((ns) => ns !== 'drift').map((ns) => ({ name: ns, repository: server.barePath(ns), file: 'apps/zai-proxy.yaml', target: { namespace: ns, deployment: 'zai-proxy', container: 'proxy' } })),
    });
    git = await makeDelivery(
      [...SCENARIOS, 'app-source'].map((name) => ({ name, url: server.httpUrl(name), auth: { type: 'token', tokenFile } })),
      { environment: {} },
    );
    prometheus = await startPrometheus({ targets: [exporter.target] });
    await prometheus.waitForSeries('app_error_ratio{namespace="input",variant="canary"}');
    const promClient = new PrometheusClient({ baseUrl: prometheus.url, retries: 0 });
    svc = await startTestService({ prometheus: promClient, kube: fakeKubeClient(kube), git: git.delivery });
    expect((await svc.app.inject({ method: 'PUT', url: '/v1/policies/gitops', payload: POLICY })).statusCode).toBe(201);
    engine = startEngine(svc, kube, svc.queries, { git: git.delivery });
  }, 120_000);

  afterAll(async () => {
    await engine?.stop();
    await svc?.close();
    await controller?.stop();
    await prometheus?.stop();
    await server?.close();
    await kube?.close();
    await exporter?.close();
  });

  const request = (namespace: string, delivery: Record<string, unknown> = {}) => ({
    target: { namespace, deployment: 'zai-proxy', container: 'proxy' },
    source: { deployment: 'zai-proxy-test', tagSuffixToStrip: '-canary' },
    policy: 'gitops',
    reason: `promote 1.2.1 (${namespace})`,
    delivery: { via: 'git', repository: namespace, file: 'apps/zai-proxy.yaml', ...delivery },
  });
  const promote = async (namespace: string) => {
    const response = await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: request(namespace) });
    assertMatchesSpec('createPromotion', response);
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id as string;
  };
  const deployedImage = (namespace: string) => kube.getDeployment(namespace, 'zai-proxy')?.spec.template.spec.containers[0]?.image;
  const patchesByPromoter = (namespace: string) => kube.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/namespaces/${namespace}/deployments/zai-proxy`) && JSON.stringify(r.body).includes('promoter.dev'));
  const subjects = (repository: string) => server.subjects(repository);

  it('commits once, lets the controller sync, bakes, and releases: VERSION and the annotated tag v1.2.1', async () => {
    const id = await promote('happy');
    const done = await waitForState(svc, id, ['succeeded', 'rejected', 'rolled_back', 'failed', 'aborted'], 45_000);
    expect(done.state, String(done.stateReason)).toBe('succeeded');
    expect(deployedImage('happy')).toBe(NEW);
    // The service never patched the Deployment: the controller did, from Git.
    expect(patchesByPromoter('happy')).toEqual([]);
    const promoteCommits = (await subjects('happy')).filter((s) => s === 'chore: promote zai-proxy to v1.2.1');
    expect(promoteCommits).toHaveLength(1);
    const head = (await server.git('happy', ['log', '-1', '--format=%H%n%B', 'main'])).split('\n');
    expect(head.join('\n')).toContain(`Promotion-Id: ${id}`);
    expect(await server.readFile('happy', 'apps/zai-proxy.yaml')).toContain(`image: ${NEW} # promoted by promoter`);
    const delivery = done.delivery as Record<string, string>;
    expect(delivery).toMatchObject({ via: 'git', repository: 'happy', file: 'apps/zai-proxy.yaml', branch: 'main', commit: head[0] });

    // The release runs after the success, in a step of its own.
    const released = await poll(async () => {
      const record = (await svc.app.inject({ method: 'GET', url: `/v1/promotions/${id}` })).json();
      return record.release?.state !== 'pending' ? record : undefined;
    });
    expect(released.release).toMatchObject({ state: 'done', repository: 'app-source', version: '1.2.1', tag: 'v1.2.1' });
    expect(await server.readFile('app-source', 'VERSION')).toBe('1.2.1\n');
    expect((await subjects('app-source'))[0]).toBe('chore: release zai-proxy v1.2.1');
    expect((await server.git('app-source', ['cat-file', '-t', 'v1.2.1'])).trim()).toBe('tag');
    const tagMessage = await server.git('app-source', ['tag', '-l', '--format=%(contents)', 'v1.2.1']);
    expect(tagMessage).toContain('Validated via canary testing, promoted from canary to production');
    expect(tagMessage).toContain(`Promotion: ${id}`);
    expect((released.events as { type: string }[]).map((e) => e.type)).toEqual(expect.arrayContaining(['commit', 'release']));
    expect((await svc.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/promoter_releases_total\{outcome="done"\} [1-9]/);

    // Finalizing a release that is done (the API's retry) answers the promotion as it is and records nothing.
    const before = (await svc.app.inject({ method: 'GET', url: `/v1/promotions/${id}` })).json();
    const again = await svc.app.inject({ method: 'POST', url: `/v1/promotions/${id}/finalize`, payload: { reason: 'check' } });
    assertMatchesSpec('finalizePromotion', again);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().release).toEqual(before.release);
    await new Promise((resolve) => setTimeout(resolve, 500)); // several engine polls: nothing may follow either
    const second = (await svc.app.inject({ method: 'GET', url: `/v1/promotions/${id}` })).json();
    expect(second.events).toEqual(before.events);
    expect(second.release).toMatchObject({ state: 'done', tag: 'v1.2.1' });
    expect((await subjects('app-source')).filter((s) => s.startsWith('chore: release'))).toHaveLength(1);
  });

  it('rolls back with git revert when a post-rollout check fails, and the cluster converges back', async () => {
    const id = await promote('bad');
    await waitForState(svc, id, ['verifying', 'rolled_back', 'failed'], 45_000);
    exporter.set('app_error_ratio', { namespace: 'bad', variant: 'production' }, 0.3);
    const done = await waitForState(svc, id, ['rolled_back', 'failed', 'succeeded'], 45_000);
    expect(done.state, String(done.stateReason)).toBe('rolled_back');
    expect(done.stateReason).toMatch(/^post-rollout check failed: error-rate failed/);
    expect(deployedImage('bad')).toBe(OLD);
    expect((await subjects('bad')).slice(0, 2)).toEqual(['Revert "chore: promote zai-proxy to v1.2.1"', 'chore: promote zai-proxy to v1.2.1']);
    expect(done.delivery).toMatchObject({ revertMethod: 'revert', revertCommit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(await server.readFile('bad', 'apps/zai-proxy.yaml')).toContain(`image: ${OLD} # promoted by promoter`);
    // Never released: the record says so instead of staying `pending` forever.
    expect(done.release).toEqual({ state: 'skipped', repository: 'app-source', reason: 'the promotion ended rolled_back, so there is nothing to release' });
  });

  it('stops in failed, naming the file and what it found, when the file was changed by hand to another image', async () => {
    await server.commit('drift', { 'apps/zai-proxy.yaml': (text) => text.replace(`image: ${OLD}`, 'image: ronaldraygun/zai-proxy:1.2.0-hotfix') }, 'hotfix by hand');
    const id = await promote('drift');
    const done = await waitForState(svc, id, ['failed', 'succeeded', 'rolled_back'], 45_000);
    expect(done.state).toBe('failed');
    expect(done.release).toMatchObject({ state: 'skipped' });
    expect(done.stateReason).toContain('file apps/zai-proxy.yaml in repository drift now holds ronaldraygun/zai-proxy:1.2.0-hotfix');
    expect((await subjects('drift')).filter((s) => s.startsWith('chore: promote'))).toEqual([]);
  });

  it('a step whose outcome is lost after the push (a crash) resumes without a second commit', async () => {
    // A replica that pushes and then dies before recording: its store refuses the write of the commit step.
    const store = new PromotionStore(svc.database.handle.db);
    let lost = 0;
    const kubeClient = fakeKubeClient(kube);
    const dying = new Engine({
      store: {
        claim: (owner, limit) => store.claim(owner, limit, 1_000),
        complete: async (promotion, owner, step) => {
          if ((step.events ?? []).some((e) => e.type === 'commit')) {
            lost++;
            throw new Error('killed after the push, before the write');
          }
          return store.complete(promotion, owner, step);
        },
        release: async () => {},
        countActive: () => store.countActive(),
      },
      steps: new PromotionSteps({
        kube: kubeClient,
        deliveryFor: (p) => (p.delivery.via === 'git' ? new GitOpsDelivery(git.delivery) : new KubernetesDelivery(kubeClient)),
        runner: svc.checkRunner,
        prometheus: svc.queries,
      }),
      log: svc.app.log,
      pollMs: 20,
      owner: 'dying-replica',
    });
    await engine.stop();
    dying.start();
    const id = await promote('crash');
    await poll(async () => (lost > 0 ? true : undefined));
    await dying.stop();
    // The healthy replica takes over once the dead one's lease (1 s) has expired.
    engine = startEngine(svc, kube, svc.queries, { git: git.delivery });
    const done = await waitForState(svc, id, ['succeeded', 'rolled_back', 'failed'], 45_000);
    expect(done.state, String(done.stateReason)).toBe('succeeded');
    expect((await subjects('crash')).filter((s) => s === 'chore: promote zai-proxy to v1.2.1')).toHaveLength(1);
    expect((done.events as { type: string; reason: string }[]).some((e) => e.type === 'commit' && e.reason.startsWith('found its own commit'))).toBe(true);
  });

  it.each([
    [{ repository: 'nowhere' }, '/body/delivery/repository', /no Git repository named 'nowhere' is configured/],
    [{ file: 'apps/missing.yaml' }, '/body/delivery/file', /apps\/missing\.yaml/],
    [{ locator: { kind: 'helm-values', tagPath: 'image.tag', repository: 'ronaldraygun/zai-proxy' } }, '/body/delivery/locator', /image\.tag/],
    [{ locator: { kind: 'manifest', container: 'nginx' } }, '/body/delivery/locator', /nginx/],
  ])('refuses a Git delivery that cannot work with a 422 naming the field (%o)', async (delivery, pointer, detail) => {
    const response = await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: request('input', delivery) });
    expect(response.statusCode, response.body).toBe(422);
    assertMatchesSpec('createPromotion', response);
    const problem = response.json();
    expect(problem.code).toBe('validation-failed');
    expect(problem.errors).toContainEqual({ pointer, detail: expect.stringMatching(detail) });
  });

  it('never lets the token reach a log line, a record or an event', async () => {
    const everything = [...svc.logs, ...git.logger.lines].join('\n');
    expect(everything).not.toContain(TOKEN);
    const list = await svc.app.inject({ method: 'GET', url: '/v1/promotions?limit=200' });
    for (const promotion of list.json().items as { id: string }[]) {
      const detail = await svc.app.inject({ method: 'GET', url: `/v1/promotions/${promotion.id}` });
      expect(detail.body).not.toContain(TOKEN);
    }
  });
});
