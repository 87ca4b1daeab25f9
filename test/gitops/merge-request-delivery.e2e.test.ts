/**
 * Pull-request delivery against the fake GitLab (REST v4 merge requests, "pipelines must succeed"), through
 * the whole service: the GitHub suite (pull-request-delivery.e2e.test.ts) covers every path; this one shows
 * the same promotion and its revert work with GitLab's merge requests, statuses and `detailed_merge_status`,
 * and the whole set-up: a protected branch *and* an Argo CD that polls Git every 180 s, where the
 * merge is synced at once because the service asks Argo CD to. Checks read a canned Prometheus: what is
 * under test here is the forge and Argo CD, not the measurements.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeForge, type FakeForge } from '@promoter/fake-forge';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { ClientNodeArgoCdApplications } from '../../services/promoter/src/adapters/kubernetes/argocd-applications.js';
import { ClientNodeKubernetesClient } from '../../services/promoter/src/adapters/kubernetes/client-node-kubernetes-client.js';
import type { PromotionEngine } from '../../services/promoter/src/engine/promotion-engine.js';
import { createEngine } from '../../services/promoter/src/service.js';
import { CannedPrometheus } from '../fixtures/canned-prometheus.js';
import { waitForState } from '../fixtures/engine.js';
import { startGitOpsController, type GitOpsController } from '../fixtures/gitops-controller.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { MANIFEST, makeDelivery, poll, writeTokenFile } from './support.js';

const OLD = 'ronaldraygun/zai-proxy:1.2.0';
const NEW = 'ronaldraygun/zai-proxy:1.2.1';
const FILE = 'apps/zai-proxy.yaml';
const PROJECT = 'platform/deploy/zai-proxy';
/** The repository Argo CD (polling every 180 s) deploys, and its Application. */
const ARGO_PROJECT = 'platform/deploy/argo';
const TERMINAL = ['succeeded', 'rejected', 'rolled_back', 'failed', 'aborted'];

describe('promotions through GitLab merge requests (fake GitLab)', () => {
  let kube: FakeKube;
  let forge: FakeForge;
  let controller: GitOpsController;
  let argo: ReturnType<FakeKube['startArgoCd']>;
  let svc: TestService;
  let engine: PromotionEngine;
  const prometheus = new CannedPrometheus().answer(/app_error_ratio/, 0.01);

  beforeAll(async () => {
    kube = await startFakeKube();
    forge = await startFakeForge({ kind: 'gitlab', users: [{ login: 'alice' }] });
    kube.addDeployment({ namespace: 'gl', name: 'zai-proxy', containers: [{ name: 'proxy', image: OLD }], replicas: 2 });
    await forge.createRepository(PROJECT, { [FILE]: MANIFEST.replace('namespace: mcp', 'namespace: gl') });
    await forge.protectBranch(PROJECT, 'main');
    forge.configureProject(PROJECT, { pipelinesMustSucceed: true });
    controller = startGitOpsController({
      kubeConfig: kube.kubeConfig(),
      intervalMs: 100,
      applications: [{ name: 'gl', repository: forge.barePath(PROJECT), file: FILE, target: { namespace: 'gl', deployment: 'zai-proxy', container: 'proxy' } }],
    });
    kube.addDeployment({ namespace: 'argo', name: 'zai-proxy', containers: [{ name: 'proxy', image: OLD }], replicas: 2 });
    await forge.createRepository(ARGO_PROJECT, { [FILE]: MANIFEST.replace('namespace: mcp', 'namespace: argo') });
    await forge.protectBranch(ARGO_PROJECT, 'main');
    argo = kube.startArgoCd({ pollMs: 180_000, repositories: { [forge.gitUrl(ARGO_PROJECT)]: forge.barePath(ARGO_PROJECT) } });
    argo.addApplication({ name: 'zai-proxy', repoURL: forge.gitUrl(ARGO_PROJECT), path: 'apps', targetRevision: 'main', destinationNamespace: 'argo' });
    const tokenFile = await writeTokenFile(forge.tokenOf('promoter'));
    const git = await makeDelivery([
      {
        name: 'deploy',
        url: forge.gitUrl(PROJECT),
        auth: { type: 'token', tokenFile, username: 'oauth2' },
        changes: 'pull-request',
        forge: { type: 'gitlab', apiUrl: forge.apiUrl, project: PROJECT },
      },
      {
        name: 'argo-deploy',
        url: forge.gitUrl(ARGO_PROJECT),
        auth: { type: 'token', tokenFile, username: 'oauth2' },
        changes: 'pull-request',
        forge: { type: 'gitlab', apiUrl: forge.apiUrl, project: ARGO_PROJECT },
      },
    ]);
    const kubeClient = new ClientNodeKubernetesClient(kube.kubeConfig(), { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 });
    const applications = new ClientNodeArgoCdApplications(kube.kubeConfig(), { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 });
    svc = await startTestService({ kube: kubeClient, git: git.delivery, argocd: applications });
    const policy = { interval: '1s', bake: '2s', rolloutTimeout: '20s', checks: [{ name: 'error-rate', phases: ['pre', 'post'], query: 'app_error_ratio', max: 0.05 }] };
    expect((await svc.app.inject({ method: 'PUT', url: '/v1/policies/gl', payload: policy })).statusCode).toBe(201);
    engine = createEngine({
      db: svc.database.handle.db,
      kube: kubeClient,
      prometheus,
      git: git.delivery,
      argocd: applications,
      argocdSync: true,
      log: svc.app.log,
      rolloutPollMs: 100,
      pullRequestPollMs: 200,
      pollMs: 50,
    });
    engine.start();
  }, 60_000);

  afterAll(async () => {
    await engine?.stop();
    await svc?.close();
    await controller?.stop();
    await argo?.stop();
    await forge?.close();
    await kube?.close();
  });

  const deployedImage = (namespace = 'gl') => kube.getDeployment(namespace, 'zai-proxy')?.spec.template.spec.containers[0]?.image;
  const detail = async (id: string) => (await svc.app.inject({ method: 'GET', url: `/v1/promotions/${id}` })).json() as { state: string; delivery: Record<string, { number: number; head: string; state: string; mergedBy?: string }> };

  it('opens a merge request, waits for the pipeline, merges it; then rolls back through a revert merge request', async () => {
    const created = await svc.app.inject({
      method: 'POST',
      url: '/v1/promotions',
      payload: { target: { namespace: 'gl', deployment: 'zai-proxy', container: 'proxy' }, image: NEW, policy: 'gl', delivery: { via: 'git', repository: 'deploy', file: FILE } },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    await waitForState(svc, id, ['awaiting_merge', ...TERMINAL]);
    const mr = (await detail(id)).delivery.pullRequest!;
    expect(forge.pull(PROJECT, mr.number)).toMatchObject({ title: 'chore: promote zai-proxy to v1.2.1', source: `promoter/${id}`, target: 'main' });
    // "Pipelines must succeed": no status yet, so GitLab says ci_must_pass and promoter waits.
    await poll(async () => ((await detail(id)).delivery.pullRequest?.state === 'open' && (await detail(id)).state === 'awaiting_merge' ? true : undefined));
    expect(deployedImage()).toBe(OLD);
    forge.setStatus(PROJECT, mr.head, 'pipeline', 'success');
    await waitForState(svc, id, ['verifying', ...TERMINAL], 30_000);
    expect(deployedImage()).toBe(NEW);
    expect((await detail(id)).delivery.pullRequest).toMatchObject({ state: 'merged', mergedBy: 'promoter' });

    prometheus.answer(/app_error_ratio/, 0.3);
    const revert = await poll(async () => (await detail(id)).delivery.revertPullRequest);
    expect(forge.pull(PROJECT, revert.number).title).toBe('Revert "chore: promote zai-proxy to v1.2.1"');
    forge.setStatus(PROJECT, revert.head, 'pipeline', 'success');
    const done = await waitForState(svc, id, TERMINAL, 30_000);
    expect(done.state, String(done.stateReason)).toBe('rolled_back');
    expect(deployedImage()).toBe(OLD);
    expect((await detail(id)).delivery.revertPullRequest).toMatchObject({ state: 'merged' });
    expect(await forge.readFile(PROJECT, FILE, 'main')).toContain(`image: ${OLD}`);
  }, 90_000);

  it('with Argo CD polling every 180 s, the merged change and its revert both run within seconds', async () => {
    // The waits below (60 s each) are far under Argo CD's 180 s poll: only the service's refresh and sync can meet them.
    prometheus.answer(/app_error_ratio/, 0.01);
    const created = await svc.app.inject({
      method: 'POST',
      url: '/v1/promotions',
      payload: {
        target: { namespace: 'argo', deployment: 'zai-proxy', container: 'proxy' },
        image: NEW,
        policy: 'gl',
        delivery: { via: 'git', repository: 'argo-deploy', file: FILE, argocd: { application: 'zai-proxy' } },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    await waitForState(svc, id, ['awaiting_merge', ...TERMINAL]);
    const mr = (await detail(id)).delivery.pullRequest!;
    forge.setStatus(ARGO_PROJECT, mr.head, 'pipeline', 'success');
    await waitForState(svc, id, ['verifying', ...TERMINAL], 60_000);
    expect(deployedImage('argo')).toBe(NEW);
    // Argo CD synced the merge commit because it was asked to: its own poll would come 180 s later.
    const application = kube.getApplication('argocd', 'zai-proxy') as { status?: { sync?: { revision?: string } } } | undefined;
    expect(application?.status?.sync?.revision).toBe((await detail(id)).delivery.commit);

    prometheus.answer(/app_error_ratio/, 0.3);
    const revert = await poll(async () => (await detail(id)).delivery.revertPullRequest);
    forge.setStatus(ARGO_PROJECT, revert.head, 'pipeline', 'success');
    const done = await waitForState(svc, id, TERMINAL, 60_000);
    expect(done.state, String(done.stateReason)).toBe('rolled_back');
    expect(deployedImage('argo')).toBe(OLD);
  }, 150_000);
});
