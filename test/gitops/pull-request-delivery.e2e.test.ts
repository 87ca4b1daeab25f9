/**
 * Pull-request delivery through the whole service (issue 23): the real API and engine on PostgreSQL, a real
 * Prometheus, the fake GitHub (packages/fake-forge: REST v3 over real bare repositories whose `main` is
 * protected inside git), a GitOps controller that syncs `main` to the fake Kubernetes API. Each scenario has
 * its own namespace and repository.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeForge, type FakeForge } from '@promoter/fake-forge';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { PrometheusClient } from '../../services/promoter/src/adapters/prometheus/prometheus-client.js';
import type { PromotionEngine } from '../../services/promoter/src/engine/promotion-engine.js';
import { createEngine } from '../../services/promoter/src/service.js';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { waitForState, fakeKubeClient } from '../fixtures/engine.js';
import { startExporter, type Exporter } from '../fixtures/exporter.js';
import { startGitOpsController, type GitOpsController } from '../fixtures/gitops-controller.js';
import { startPrometheus, type PrometheusInstance } from '../fixtures/prometheus.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { launchBrowser, type TestBrowser } from '../console/browser.js';
import { MANIFEST, makeDelivery, poll, writeTokenFile, type DeliverySetup } from './support.js';

const OLD = 'ronaldraygun/zai-proxy:1.2.0';
const CANARY = 'ronaldraygun/zai-proxy:1.2.1-canary';
const NEW = 'ronaldraygun/zai-proxy:1.2.1';
const FILE = 'apps/zai-proxy.yaml';
/** Scenario -> how its repository takes changes. */
const SCENARIOS = {
  automerge: { merge: 'auto' },
  human: { merge: 'manual' },
  closed: { merge: 'manual' },
  conflict: { merge: 'manual' },
  // main keeps moving under it: every rebase conflicts again.
  stuck: { merge: 'manual' },
  // Nobody merges: the policy's short mergeTimeout runs out (the repository keeps the default 24h).
  timeout: { merge: 'manual' },
  // Squash-merged: the promotion's merge is one commit with one parent, which the rollback reverts as it is.
  rollback: { merge: 'auto', mergeMethod: 'squash' },
  abort: { merge: 'manual' },
  pushed: undefined,
} as const;
type Scenario = keyof typeof SCENARIOS;
const TERMINAL = ['succeeded', 'rejected', 'rolled_back', 'failed', 'aborted'];

const POLICY = {
  interval: '1s',
  bake: '2s',
  rolloutTimeout: '20s',
  checks: [{ name: 'error-rate', phases: ['pre', 'rollout', 'post'], query: 'max(app_error_ratio{namespace="{{namespace}}",variant="{{variant}}"})', max: 0.05 }],
};

describe('promotions through pull requests on a protected branch (fake GitHub)', () => {
  let exporter: Exporter;
  let prometheus: PrometheusInstance;
  let kube: FakeKube;
  let forge: FakeForge;
  let controller: GitOpsController;
  let git: DeliverySetup;
  let svc: TestService;
  let engine: PromotionEngine;
  let browser: TestBrowser | undefined;

  beforeAll(async () => {
    exporter = await startExporter();
    kube = await startFakeKube();
    forge = await startFakeForge({ kind: 'github', users: [{ login: 'alice' }, { login: 'bob' }] });
    const tokenFile = await writeTokenFile(forge.tokenOf('promoter'));
    for (const ns of Object.keys(SCENARIOS) as Scenario[]) {
      exporter.set('app_error_ratio', { namespace: ns, variant: 'canary' }, 0.01);
      exporter.set('app_error_ratio', { namespace: ns, variant: 'production' }, 0.01);
      kube.addDeployment({ namespace: ns, name: 'zai-proxy', containers: [{ name: 'proxy', image: OLD }], replicas: 2 });
      kube.addDeployment({ namespace: ns, name: 'zai-proxy-test', containers: [{ name: 'proxy', image: CANARY }], replicas: 1 });
      await forge.createRepository(`acme/${ns}`, { [FILE]: MANIFEST.replace('namespace: mcp', `namespace: ${ns}`) });
      await forge.protectBranch(`acme/${ns}`, 'main', { requiredChecks: ['ci'] });
    }
    // The application's source repository: protected too (no required check), so the release goes through a pull request.
    await forge.createRepository('acme/app-source', { VERSION: '1.2.0\n', 'README.md': '# zai-proxy\n' });
    await forge.protectBranch('acme/app-source', 'main');
    controller = startGitOpsController({
      kubeConfig: kube.kubeConfig(),
      intervalMs: 100,
      applications: (Object.keys(SCENARIOS) as Scenario[]).map((ns) => ({ name: ns, repository: forge.barePath(`acme/${ns}`), file: FILE, target: { namespace: ns, deployment: 'zai-proxy', container: 'proxy' } })),
    });
    git = await makeDelivery(
      (Object.entries(SCENARIOS) as [Scenario, (typeof SCENARIOS)[Scenario]][]).map<Record<string, unknown>>(([name, pr]) => ({
        name,
        url: forge.gitUrl(`acme/${name}`),
        auth: { type: 'token', tokenFile, username: 'promoter' },
        ...(pr ? { changes: 'pull-request', forge: { type: 'github', apiUrl: forge.apiUrl, project: `acme/${name}` }, rollback: 'auto-merge', ...pr } : {}),
      })).concat([
        {
          name: 'app-source',
          url: forge.gitUrl('acme/app-source'),
          auth: { type: 'token', tokenFile, username: 'promoter' },
          changes: 'pull-request',
          forge: { type: 'github', apiUrl: forge.apiUrl, project: 'acme/app-source' },
        },
      ]),
    );
    prometheus = await startPrometheus({ targets: [exporter.target] });
    await prometheus.waitForSeries('app_error_ratio{namespace="pushed",variant="canary"}');
    const promClient = new PrometheusClient({ baseUrl: prometheus.url, retries: 0 });
    svc = await startTestService({ listen: true, prometheus: promClient, kube: fakeKubeClient(kube), git: git.delivery });
    expect((await svc.app.inject({ method: 'PUT', url: '/v1/policies/via-pr', payload: POLICY })).statusCode).toBe(201);
    const withRelease = { ...POLICY, afterSuccess: { release: { repository: 'app-source' } } };
    expect((await svc.app.inject({ method: 'PUT', url: '/v1/policies/via-pr-release', payload: withRelease })).statusCode).toBe(201);
    expect((await svc.app.inject({ method: 'PUT', url: '/v1/policies/via-pr-quick', payload: { ...POLICY, mergeTimeout: '3s' } })).statusCode).toBe(201);
    engine = createEngine({
      db: svc.database.handle.db,
      kube: fakeKubeClient(kube),
      prometheus: promClient,
      checkRunner: svc.checkRunner,
      git: git.delivery,
      log: svc.app.log,
      rolloutPollMs: 100,
      pullRequestPollMs: 200,
      pollMs: 50,
      publicUrl: 'https://promoter.example',
    });
    engine.start();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await engine?.stop();
    await svc?.close();
    await controller?.stop();
    await prometheus?.stop();
    await forge?.close();
    await kube?.close();
    await exporter?.close();
  });

  const promote = async (namespace: Scenario, policy = 'via-pr') => {
    const response = await svc.app.inject({
      method: 'POST',
      url: '/v1/promotions',
      payload: {
        target: { namespace, deployment: 'zai-proxy', container: 'proxy' },
        source: { deployment: 'zai-proxy-test', tagSuffixToStrip: '-canary' },
        policy,
        reason: `promote 1.2.1 (${namespace})`,
        delivery: { via: 'git', repository: namespace, file: FILE },
      },
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id as string;
  };
  const detail = async (id: string) => {
    const response = await svc.app.inject({ method: 'GET', url: `/v1/promotions/${id}` });
    assertMatchesSpec('getPromotion', response);
    return response.json() as { state: string; stateReason: string; delivery: Record<string, any>; release: Record<string, any> | null; events: { type: string; reason: string }[] }; // eslint-disable-line @typescript-eslint/no-explicit-any -- a JSON record read field by field
  };
  const deployedImage = (namespace: string) => kube.getDeployment(namespace, 'zai-proxy')?.spec.template.spec.containers[0]?.image;
  /** The promotion once its pull request is open, and that pull request as the forge has it. */
  const openPullRequest = async (id: string, namespace: Scenario) => {
    await waitForState(svc, id, ['awaiting_merge', ...TERMINAL], 30_000);
    const record = await detail(id);
    expect(record.state, record.stateReason).toBe('awaiting_merge');
    const number = record.delivery.pullRequest.number as number;
    return { record, number, pull: forge.pull(`acme/${namespace}`, number) };
  };

  it('opens a pull request with the gate evidence, waits for the required check, merges it itself, verifies, and releases through a pull request', async () => {
    const id = await promote('automerge', 'via-pr-release');
    const { record, number, pull } = await openPullRequest(id, 'automerge');
    expect(pull.title).toBe('chore: promote zai-proxy to v1.2.1');
    expect(pull.body).toContain('| error-rate | pass |');
    expect(pull.body).toContain('policy `via-pr-release` v1');
    expect(pull.body).toContain(`https://promoter.example/ui/promotions/${id}`);
    expect(record.delivery.pullRequest).toMatchObject({ number, branch: `promoter/${id}`, state: 'open' });
    expect(record.stateReason).toContain(`pull request #${number}`);
    // The required check has not run: the forge blocks the merge, the promotion waits and says why.
    const blocked = await poll(async () => ((await detail(id)).delivery.pullRequest.blockedBy ? detail(id) : undefined));
    expect(blocked.state).toBe('awaiting_merge');
    expect(blocked.delivery.pullRequest.blockedBy).toBe('required check ci has not reported');
    expect(deployedImage('automerge')).toBe(OLD);
    forge.setStatus('acme/automerge', record.delivery.pullRequest.head as string, 'ci', 'failure');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await detail(id)).state).toBe('awaiting_merge');
    forge.setStatus('acme/automerge', record.delivery.pullRequest.head as string, 'ci', 'success');
    const done = await waitForState(svc, id, TERMINAL, 45_000);
    expect(done.state, String(done.stateReason)).toBe('succeeded');
    expect(deployedImage('automerge')).toBe(NEW);
    const merged = forge.pull('acme/automerge', number);
    expect(merged.state).toBe('merged');
    const final = await detail(id);
    expect(final.delivery.pullRequest).toMatchObject({ state: 'merged', mergedBy: 'promoter', forge: 'github' });
    expect(final.delivery.commit).toBe(merged.mergeCommitSha);
    expect(await forge.readFile('acme/automerge', FILE, 'main')).toContain(`image: ${NEW}`);
    expect(final.events.filter((e) => e.type === 'pull_request').map((e) => e.reason).join('\n')).toMatch(/opened pull request #\d+[\s\S]*was merged by promoter/);

    // The release: VERSION through its own pull request (main is protected), the tag on that pull request's merge.
    const released = await poll(async () => {
      const now = await detail(id);
      return now.release?.state === 'done' || now.release?.state === 'failed' ? now : undefined;
    }, 45_000);
    expect(released.release, JSON.stringify(released.release)).toMatchObject({ state: 'done', version: '1.2.1', tag: 'v1.2.1', pullRequest: { state: 'merged', branch: `promoter/${id}-release` } });
    const releasePull = forge.pull('acme/app-source', released.release!.pullRequest.number as number);
    expect(releasePull.title).toBe('chore: release zai-proxy v1.2.1');
    expect(released.release!.commit).toBe(releasePull.mergeCommitSha);
    expect((await forge.gitIn('acme/app-source', ['rev-parse', 'v1.2.1^{commit}'])).trim()).toBe(releasePull.mergeCommitSha);
    expect(await forge.readFile('acme/app-source', 'VERSION', 'main')).toBe('1.2.1\n');
  }, 120_000);

  it('with merge: manual waits for a person, then follows the rollout of their merge', async () => {
    const id = await promote('human');
    const { number, record } = await openPullRequest(id, 'human');
    forge.setStatus('acme/human', record.delivery.pullRequest.head as string, 'ci', 'success');
    const waiting = await poll(async () => ((await detail(id)).delivery.pullRequest.blockedBy?.includes('person') ? detail(id) : undefined));
    expect(waiting.state).toBe('awaiting_merge');
    expect(forge.pull('acme/human', number).state).toBe('open');
    // The console (an open API: no sign-in) shows the pull request, linked, and what it waits for...
    browser = await launchBrowser();
    const { page, violations, errors } = await browser.newPage();
    await page.goto(`${svc.url}/ui/promotions/${id}`);
    const row = page.locator('dd[data-pull-request]');
    await row.filter({ hasText: 'a person' }).waitFor({ timeout: 15_000 });
    expect(await row.getAttribute('data-pull-request')).toBe('open');
    expect(await row.locator('a').getAttribute('href')).toBe(`${forge.baseUrl}/acme/human/pull/${number}`);
    expect(await row.locator('a').textContent()).toBe(`#${number}`);
    await forge.mergeAs('acme/human', number, 'alice');
    const done = await waitForState(svc, id, TERMINAL, 45_000);
    expect(done.state, String(done.stateReason)).toBe('succeeded');
    expect((await detail(id)).delivery.pullRequest).toMatchObject({ state: 'merged', mergedBy: 'alice' });
    expect(deployedImage('human')).toBe(NEW);
    // ...and, live, who merged it.
    await page.locator('dd[data-pull-request="merged"]').filter({ hasText: 'merged by alice' }).waitFor({ timeout: 15_000 });
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
  }, 90_000);

  it('ends aborted, naming who closed the pull request, and changes nothing', async () => {
    const id = await promote('closed');
    const { number } = await openPullRequest(id, 'closed');
    forge.closeAs('acme/closed', number, 'bob');
    const done = await waitForState(svc, id, TERMINAL, 30_000);
    expect(done.state).toBe('aborted');
    expect(done.stateReason).toMatch(new RegExp(`pull request #${number} was closed without merging by bob`));
    expect(deployedImage('closed')).toBe(OLD);
    expect(await forge.readFile('acme/closed', FILE, 'main')).toContain(`image: ${OLD}`);
  }, 60_000);

  it('rebases a pull request that conflicts with a change merged meanwhile, and the rebased one merges', async () => {
    const id = await promote('conflict');
    const { number, record } = await openPullRequest(id, 'conflict');
    const firstHead = record.delivery.pullRequest.head as string;
    // Someone else changes the line next to the image on main: the pull request now conflicts.
    await forge.commit('acme/conflict', { [FILE]: (text) => text.replace('# promoted by promoter', '# promoted by promoter (pinned by SRE)') }, 'ops: note', 'main');
    const rebased = await poll(async () => {
      const now = await detail(id);
      return now.delivery.pullRequest.head !== firstHead ? now : undefined;
    });
    expect(rebased.events.some((e) => e.type === 'pull_request' && /rebased pull request/.test(e.reason))).toBe(true);
    const head = rebased.delivery.pullRequest.head as string;
    expect(await forge.branchSha('acme/conflict', `promoter/${id}`)).toBe(head);
    forge.setStatus('acme/conflict', head, 'ci', 'success');
    await forge.mergeAs('acme/conflict', number, 'alice');
    const done = await waitForState(svc, id, TERMINAL, 45_000);
    expect(done.state, String(done.stateReason)).toBe('succeeded');
    const file = await forge.readFile('acme/conflict', FILE, 'main');
    expect(file).toContain(`image: ${NEW}`);
    expect(file).toContain('(pinned by SRE)');
  }, 90_000);

  it('fails the promotion and closes its pull request when it still conflicts after 3 rebases', async () => {
    const id = await promote('stuck');
    const { number, record } = await openPullRequest(id, 'stuck');
    let head = record.delivery.pullRequest.head as string;
    // Someone keeps changing the image's line on main: the pull request conflicts, is rebased, conflicts again...
    for (let round = 1; round <= 4; round++) {
      await forge.commit('acme/stuck', { [FILE]: (text) => text.replace(/# promoted by promoter.*$/m, `# promoted by promoter (pinned by SRE, round ${round})`) }, `ops: note ${round}`, 'main');
      if (round === 4) break;
      const rebased = await poll(async () => {
        const now = await detail(id);
        return now.delivery.pullRequest.head !== head || TERMINAL.includes(now.state) ? now : undefined;
      });
      expect(rebased.state, rebased.stateReason).toBe('awaiting_merge');
      head = rebased.delivery.pullRequest.head as string;
    }
    // ...and after the third rebase it gives up.
    const done = await waitForState(svc, id, TERMINAL, 30_000);
    expect(done.state).toBe('failed');
    expect(done.stateReason).toMatch(new RegExp(`pull request #${number} cannot be merged: it conflicts with main, still after 3 rebases`));
    expect((await detail(id)).events.filter((e) => e.type === 'pull_request' && /rebased pull request/.test(e.reason))).toHaveLength(3);
    expect(forge.pull('acme/stuck', number)).toMatchObject({ state: 'closed', closedBy: 'promoter' });
    expect(deployedImage('stuck')).toBe(OLD);
    expect(await forge.readFile('acme/stuck', FILE, 'main')).toContain(`image: ${OLD}`);
  }, 90_000);

  it("with merge: manual, the policy's mergeTimeout (3s, the repository's is 24h) closes the unmerged pull request and fails the promotion saying it timed out", async () => {
    const id = await promote('timeout', 'via-pr-quick');
    const done = await waitForState(svc, id, TERMINAL, 30_000);
    expect(done.state).toBe('failed');
    const record = await detail(id);
    const number = record.delivery.pullRequest.number as number;
    expect(done.stateReason).toMatch(new RegExp(`pull request #${number} timed out: not merged within 3s`));
    expect(record.delivery.pullRequest).toMatchObject({ state: 'closed', closedBy: 'promoter' });
    expect(forge.pull('acme/timeout', number)).toMatchObject({ state: 'closed', closedBy: 'promoter' });
    expect(forge.comments('acme/timeout', number).join('\n')).toContain('timed out');
    expect(deployedImage('timeout')).toBe(OLD);
    expect(await forge.readFile('acme/timeout', FILE, 'main')).toContain(`image: ${OLD}`);
  }, 60_000);

  it('rolls back a squash-merged promotion through a revert pull request merged at once, and the record shows both pull requests', async () => {
    const id = await promote('rollback');
    const { record } = await openPullRequest(id, 'rollback');
    forge.setStatus('acme/rollback', record.delivery.pullRequest.head as string, 'ci', 'success');
    await waitForState(svc, id, ['verifying', ...TERMINAL], 45_000);
    // Production breaks after the merge: the post-rollout check fails.
    exporter.set('app_error_ratio', { namespace: 'rollback', variant: 'production' }, 0.4);
    const squashed = forge.pull('acme/rollback', record.delivery.pullRequest.number as number).mergeCommitSha as string;
    expect((await forge.gitIn('acme/rollback', ['rev-list', '--parents', '-n', '1', squashed])).trim().split(' '), 'one commit, one parent').toHaveLength(2);
    expect((await forge.gitIn('acme/rollback', ['log', '-1', '--format=%s', squashed])).trim()).toBe(`chore: promote zai-proxy to v1.2.1 (#${String(record.delivery.pullRequest.number)})`);
    const revert = await poll(async () => {
      const now = await detail(id);
      return now.delivery.revertPullRequest ? now : undefined;
    });
    const revertPr = revert.delivery.revertPullRequest as { number: number; head: string; branch: string };
    expect(revertPr.branch).toBe(`promoter/${id}-rollback`);
    expect(forge.pull('acme/rollback', revertPr.number).title).toBe('Revert "chore: promote zai-proxy to v1.2.1"');
    // The revert needs the required check too (the forge's rule): CI passes on it, and promoter merges at once.
    forge.setStatus('acme/rollback', revertPr.head, 'ci', 'success');
    const done = await waitForState(svc, id, TERMINAL, 45_000);
    expect(done.state, String(done.stateReason)).toBe('rolled_back');
    expect(deployedImage('rollback')).toBe(OLD);
    const final = await detail(id);
    expect(final.delivery.pullRequest).toMatchObject({ state: 'merged' });
    expect(final.delivery.revertPullRequest).toMatchObject({ state: 'merged', mergedBy: 'promoter' });
    expect(final.delivery.revertCommit).toBe(forge.pull('acme/rollback', revertPr.number).mergeCommitSha);
    expect(await forge.readFile('acme/rollback', FILE, 'main')).toContain(`image: ${OLD}`);
  }, 120_000);

  it('an abort while the pull request waits closes it, with the reason, and changes nothing', async () => {
    const id = await promote('abort');
    const { number } = await openPullRequest(id, 'abort');
    const asked = await svc.app.inject({ method: 'POST', url: `/v1/promotions/${id}/abort`, payload: { reason: 'release freeze' } });
    expect(asked.statusCode, asked.body).toBe(200);
    const done = await waitForState(svc, id, TERMINAL, 30_000);
    expect(done.state, String(done.stateReason)).toBe('aborted');
    const pull = forge.pull('acme/abort', number);
    expect(pull).toMatchObject({ state: 'closed', closedBy: 'promoter' });
    expect(forge.comments('acme/abort', number).join('\n')).toContain('aborted on request');
    expect((await detail(id)).delivery.pullRequest).toMatchObject({ state: 'closed', closedBy: 'promoter' });
    expect(deployedImage('abort')).toBe(OLD);
    expect(await forge.readFile('acme/abort', FILE, 'main')).toContain(`image: ${OLD}`);
  }, 60_000);

  it('a direct push refused by branch protection fails the promotion and says to configure pull requests', async () => {
    const id = await promote('pushed');
    const done = await waitForState(svc, id, TERMINAL, 30_000);
    expect(done.state).toBe('failed');
    expect(done.stateReason).toMatch(/protected branch hook declined/);
    expect(done.stateReason).toContain("give repository 'pushed' changes: pull-request");
    expect(deployedImage('pushed')).toBe(OLD);
  }, 60_000);
});
