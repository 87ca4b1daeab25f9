/**
 * Pull-request delivery against the fake GitLab (REST v4 merge requests, "pipelines must succeed"), through
 * the whole service: the GitHub suite (pull-request-delivery.e2e.test.ts) covers every path; this one shows
 * the same promotion and its revert work with GitLab's merge requests, statuses and `detailed_merge_status`,
 * and the whole set-up: a protected branch *and* an Argo CD that polls Git every 180 s, where the
 * merge is synced at once because the service asks Argo CD to. A merge request closed by a person, and the
 * `awaiting_merge` notification a sink receives on the way, use a project of their own. Checks read a canned
 * Prometheus: what is under test here is the forge and Argo CD, not the measurements.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeForge, type FakeForge } from '@promoter/fake-forge';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { ClientNodeArgoCdApplications } from '../../services/promoter/src/adapters/kubernetes/argocd-applications.js';
import { NotificationStore } from '../../services/promoter/src/adapters/db/notification-store.js';
import { NotificationDispatcher } from '../../services/promoter/src/notifications/dispatcher.js';
import { notificationPlanner } from '../../services/promoter/src/notifications/notification-events.js';
import { parseNotificationsConfig } from '../../services/promoter/src/notifications/sinks-config.js';
import type { PromotionEngine } from '../../services/promoter/src/engine/promotion-engine.js';
import { createEngine } from '../../services/promoter/src/service.js';
import { CannedPrometheus } from '../fixtures/canned-prometheus.js';
import { waitForState, fakeKubeClient } from '../fixtures/engine.js';
import { startGitOpsController, type GitOpsController } from '../fixtures/gitops-controller.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { startReceiver, type Receiver } from '../notifications/receiver.js';
import { MANIFEST, makeDelivery, poll, writeTokenFile } from './support.js';

const OLD = 'ronaldraygun/zai-proxy:1.2.0';
const NEW = 'ronaldraygun/zai-proxy:1.2.1';
const FILE = 'apps/zai-proxy.yaml';
const PROJECT = 'platform/deploy/zai-proxy';
/** The repository Argo CD (polling every 180 s) deploys, and its Application. */
const ARGO_PROJECT = 'platform/deploy/argo';
/** The repository whose merge request a person closes, deploying to the namespace of the same name. */
const CLOSED_PROJECT = 'platform/deploy/closed';
const TERMINAL = ['succeeded', 'rejected', 'rolled_back', 'failed', 'aborted'];

describe('promotions through GitLab merge requests (fake GitLab)', () => {
  let kube: FakeKube;
  let forge: FakeForge;
  let controller: GitOpsController;
  let argo: ReturnType<FakeKube['startArgoCd']>;
  let svc: TestService;
  let engine: PromotionEngine;
  let receiver: Receiver;
  let dispatcher: NotificationDispatcher;
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
    // Its merge requests wait for their pipeline, as the test reports it: without this one merged at once, and
    // a fast run went past awaiting_merge (and on to succeeded) before the test looked.
    forge.configureProject(ARGO_PROJECT, { pipelinesMustSucceed: true });
    argo = kube.startArgoCd({ pollMs: 180_000, repositories: { [forge.gitUrl(ARGO_PROJECT)]: forge.barePath(ARGO_PROJECT) } });
    argo.addApplication({ name: 'zai-proxy', repoURL: forge.gitUrl(ARGO_PROJECT), path: 'apps', targetRevision: 'main', destinationNamespace: 'argo' });
    kube.addDeployment({ namespace: 'closed', name: 'zai-proxy', containers: [{ name: 'proxy', image: OLD }], replicas: 2 });
    await forge.createRepository(CLOSED_PROJECT, { [FILE]: MANIFEST.replace('namespace: mcp', 'namespace: closed') });
    await forge.protectBranch(CLOSED_PROJECT, 'main');
    const tokenFile = await writeTokenFile(forge.tokenOf('promoter'));
    /** A repository whose changes go through GitLab merge requests of `project`. */
    const throughMergeRequests = (name: string, project: string, merge: 'auto' | 'manual' = 'auto') => ({
      name,
      url: forge.gitUrl(project),
      auth: { type: 'token', tokenFile, username: 'oauth2' },
      changes: 'pull-request',
      forge: { type: 'gitlab', apiUrl: forge.apiUrl, project },
      merge,
    });
    // 'closed' waits for a person, who closes the merge request instead.
    const git = await makeDelivery([throughMergeRequests('deploy', PROJECT), throughMergeRequests('argo-deploy', ARGO_PROJECT), throughMergeRequests('closed', CLOSED_PROJECT, 'manual')]);
    const kubeClient = fakeKubeClient(kube);
    const applications = new ClientNodeArgoCdApplications(kube.kubeConfig(), { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 });
    receiver = await startReceiver();
    const notifications = parseNotificationsConfig(
      {
        delivery: { timeoutMs: 1_000, backoffBaseMs: 50, backoffMaxMs: 200, maxAttempts: 10 },
        sinks: [{ name: 'merges', type: 'cloudevents', url: `${receiver.url}/merges`, events: ['awaiting_merge'], namespaces: ['closed'] }],
      },
      {},
    );
    const planner = notificationPlanner(notifications.sinks, 'https://promoter.example');
    svc = await startTestService({ kube: kubeClient, git: git.delivery, argocd: applications, notifications: planner });
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
      notifications: planner,
    });
    engine.start();
    dispatcher = new NotificationDispatcher({ store: new NotificationStore(svc.database.handle.db), config: notifications, log: svc.app.log, counter: svc.metrics.notificationsTotal, owner: 'gitlab-suite', pollMs: 50 });
    dispatcher.start();
  }, 60_000);

  afterAll(async () => {
    await engine?.stop();
    await dispatcher?.stop();
    await svc?.close();
    await receiver?.close();
    await controller?.stop();
    await argo?.stop();
    await forge?.close();
    await kube?.close();
  });

  const deployedImage = (namespace = 'gl') => kube.getDeployment(namespace, 'zai-proxy')?.spec.template.spec.containers[0]?.image;
  const detail = async (id: string) => (await svc.app.inject({ method: 'GET', url: `/v1/promotions/${id}` })).json() as { state: string; events: { reason: string }[]; delivery: Record<string, { number: number; forge?: string; url: string; head: string; state: string; mergedBy?: string }> };
  /** Promotes NEW in `namespace` through the merge requests of `repository`; the promotion and its merge request once it waits. */
  const promoteThroughMergeRequest = async (namespace: string, repository: string, argocd?: { application: string }) => {
    const created = await svc.app.inject({
      method: 'POST',
      url: '/v1/promotions',
      payload: { target: { namespace, deployment: 'zai-proxy', container: 'proxy' }, image: NEW, policy: 'gl', delivery: { via: 'git', repository, file: FILE, ...(argocd ? { argocd } : {}) } },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const waiting = await waitForState(svc, id, ['awaiting_merge', ...TERMINAL]);
    expect(waiting.state, String(waiting.stateReason)).toBe('awaiting_merge');
    return { id, mr: (await detail(id)).delivery.pullRequest! };
  };

  it('opens a merge request, waits for the pipeline, merges it; then rolls back through a revert merge request', async () => {
    const { id, mr } = await promoteThroughMergeRequest('gl', 'deploy');
    expect(forge.pull(PROJECT, mr.number)).toMatchObject({ title: 'chore: promote zai-proxy to v1.2.1', source: `promoter/${id}`, target: 'main' });
    expect(mr).toMatchObject({ forge: 'gitlab' });
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
    expect((await detail(id)).delivery.revertPullRequest).toMatchObject({ state: 'merged', forge: 'gitlab' });
    const reasons = (await detail(id)).events.map((event) => event.reason).join('\n');
    expect(reasons).toContain(`opened merge request !${mr.number} (promoter/${id} -> main)`);
    expect(reasons).toContain(`opened revert merge request !${revert.number}`);
    expect(reasons).not.toMatch(/pull request/);
    expect(await forge.readFile(PROJECT, FILE, 'main')).toContain(`image: ${OLD}`);
  }, 90_000);

  it('with Argo CD polling every 180 s, the merged change and its revert both run within seconds', async () => {
    // The waits below (60 s each) are far under Argo CD's 180 s poll: only the service's refresh and sync can meet them.
    prometheus.answer(/app_error_ratio/, 0.01);
    const { id, mr } = await promoteThroughMergeRequest('argo', 'argo-deploy', { application: 'zai-proxy' });
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

  it('a merge request closed without merging: the sink gets awaiting_merge with its URL, and the promotion ends aborted naming who closed it', async () => {
    prometheus.answer(/app_error_ratio/, 0.01); // the suite's earlier rollbacks left it failing
    const { id, mr } = await promoteThroughMergeRequest('closed', 'closed');
    const url = `${forge.baseUrl}/${CLOSED_PROJECT}/-/merge_requests/${mr.number}`;
    expect(mr.url).toBe(url);
    // The sink hears that the promotion waits, and where to merge it.
    const heard = await poll(async () =>
      receiver.received
        .filter((r) => r.path === '/merges')
        .map((r) => JSON.parse(r.body) as { type: string; data: { promotion: { id: string; state: string; reason: string } } })
        .find((event) => event.data.promotion.id === id),
    );
    expect(heard.type).toBe('dev.promoter.promotion.awaiting_merge');
    expect(heard.data.promotion.state).toBe('awaiting_merge');
    expect(heard.data.promotion.reason).toBe(`waiting for merge request !${mr.number} to be merged: ${url}`);

    forge.closeAs(CLOSED_PROJECT, mr.number, 'alice');
    const done = await waitForState(svc, id, TERMINAL, 30_000);
    expect(done.state).toBe('aborted');
    // GitLab's words: a merge request, and its iid after `!` (`#12` is an issue on GitLab).
    expect(done.stateReason).toMatch(new RegExp(`^merge request !${mr.number} was closed without merging by alice`));
    expect((await detail(id)).delivery.pullRequest).toMatchObject({ state: 'closed', closedBy: 'alice' });
    expect(deployedImage('closed')).toBe(OLD);
    expect(await forge.readFile(CLOSED_PROJECT, FILE, 'main')).toContain(`image: ${OLD}`);
  }, 60_000);
});
