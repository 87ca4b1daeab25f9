/**
 * `promoter promote --via git --wait` against the real service and the real engine delivering through a
 * real git server (git http-backend with a token), a fake Argo CD syncing the commits to the fake
 * Kubernetes API, and a canned Prometheus for the checks. The final summary must show what the promotion
 * left in Git: the promotion's commit, the revert's commit, the release's tag, commit and VERSION, or why
 * the release failed; in words and in --json. Every SHA asserted is read from the bare repositories.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPromoterClient, type Policy, type PromoterClient, type PromotionDetail } from '@promoter/sdk';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import type { PromotionEngine } from '../../services/promoter/src/engine/promotion-engine.js';
import { createEngine } from '../../services/promoter/src/service.js';
import { CannedPrometheus } from '../fixtures/canned-prometheus.js';
import { waitForState, fakeKubeClient } from '../fixtures/engine.js';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';
import { startGitOpsController, type GitOpsController } from '../fixtures/gitops-controller.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { MANIFEST, makeDelivery, poll, writeTokenFile } from '../gitops/support.js';
import { cli } from './run-cli.js';

const TOKEN = 'cli-git-token-0c7d21';
const OLD = 'ronaldraygun/zai-proxy:1.2.0';
const NAMESPACES = ['cli-released', 'cli-json', 'cli-reverted', 'cli-tag-taken'] as const;
const SHA = '[0-9a-f]{40}';

describe('promote --via git --wait: the summary shows the commits and the release', () => {
  let kube: FakeKube;
  let server: GitServer;
  let controller: GitOpsController;
  let svc: TestService;
  let engine: PromotionEngine;
  let client: PromoterClient;
  const prometheus = new CannedPrometheus().answer(/error_ratio/, 0.01);

  beforeAll(async () => {
    kube = await startFakeKube();
    server = await startGitServer({ token: TOKEN });
    await server.createRepository('deploy', Object.fromEntries(NAMESPACES.map((ns) => [`apps/${ns}.yaml`, MANIFEST.replace('namespace: mcp', `namespace: ${ns}`)])));
    await server.createRepository('app-source', { VERSION: '1.2.0\n' });
    for (const namespace of NAMESPACES) kube.addDeployment({ namespace, name: 'zai-proxy', containers: [{ name: 'proxy', image: OLD }, { name: 'sidecar', image: 'envoyproxy/envoy:v1.30.1' }], replicas: 1 });
    controller = startGitOpsController({
      kubeConfig: kube.kubeConfig(),
      intervalMs: 100,
      applications: NAMESPACES.map((namespace) => ({ name: namespace, repository: server.barePath('deploy'), file: `apps/${namespace}.yaml`, target: { namespace, deployment: 'zai-proxy', container: 'proxy' } })),
    });
    const tokenFile = await writeTokenFile(TOKEN);
    const git = await makeDelivery(['deploy', 'app-source'].map((name) => ({ name, url: server.httpUrl(name), auth: { type: 'token', tokenFile } })));
    svc = await startTestService({ listen: true, streamPollMs: 50, git: git.delivery });
    client = createPromoterClient({ baseUrl: svc.url });
    await client.policies.put('gitops', {
      interval: '500ms',
      bake: '2s',
      rolloutTimeout: '20s',
      checks: [{ name: 'error-rate', phases: ['pre', 'rollout', 'post'], query: 'error_ratio{namespace="{{namespace}}",variant="{{variant}}"}', max: 0.05 }],
      afterSuccess: { release: { repository: 'app-source' } },
    } as Policy);
    engine = createEngine({
      db: svc.database.handle.db,
      kube: fakeKubeClient(kube),
      prometheus,
      git: git.delivery,
      log: svc.app.log,
      metrics: svc.metrics,
      pollMs: 50,
      rolloutPollMs: 100,
      leaseMs: 10_000,
    });
    engine.start();
  }, 60_000);

  afterAll(async () => {
    await engine?.stop();
    await svc?.close();
    await controller?.stop();
    await server?.close();
    await kube?.close();
  });

  const promote = (namespace: string, version: string, ...extra: string[]) =>
    cli(['promote', '-n', namespace, '-d', 'zai-proxy', '-c', 'proxy', '--image', `ronaldraygun/zai-proxy:${version}`, '--policy', 'gitops', '--via', 'git', '--repository', 'deploy', '--file', `apps/${namespace}.yaml`, '--wait', ...extra], {
      url: svc.url,
    });
  /** The commit on `repository`'s branch whose subject is `subject`. */
  const commitWithSubject = async (repository: string, subject: string) => {
    const lines = (await server.git(repository, ['log', '--format=%H %s', 'main'])).split('\n');
    return lines.find((line) => line.slice(41) === subject)?.slice(0, 40);
  };
  const tagCommit = async (tag: string) => (await server.git('app-source', ['rev-parse', `${tag}^{commit}`])).trim();

  it('a success shows the promotion commit, then waits for the release and shows its tag, commit and VERSION', async () => {
    const result = await promote('cli-released', '1.2.1');
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const commit = await commitWithSubject('deploy', 'chore: promote zai-proxy to v1.2.1');
    const release = await tagCommit('v1.2.1');
    expect(commit).toMatch(new RegExp(`^${SHA}$`));
    expect(await commitWithSubject('app-source', 'chore: release zai-proxy v1.2.1')).toBe(release);
    const lines = result.stdout.split('\n');
    expect(lines).toContain('  git       deploy@main apps/cli-released.yaml');
    expect(lines).toContain(`  commit    ${commit}`);
    expect(lines).toContain(`  release   tag v1.2.1 in app-source, commit ${release} (VERSION 1.2.1)`);
    // The release event is in the timeline too: it came after `succeeded`, and --wait waited for it.
    expect(result.stdout).toMatch(new RegExp(`\\n\\d\\d:\\d\\d:\\d\\d {2}release {2}released: v1\\.2\\.1 at ${release.slice(0, 12)} in app-source\\n`));
    expect(result.stdout).toMatch(/✓ promotion \S+ succeeded: .*\n✓ released v1\.2\.1 in app-source\n$/);
    expect(result.stdout).not.toContain('reverted');
  });

  it('--json prints the final record with the release done, its commit being the tag\'s', async () => {
    const result = await promote('cli-json', '1.3.0', '--json');
    expect(result.code, result.stderr).toBe(0);
    const final = result.json<PromotionDetail>();
    expect(final.state).toBe('succeeded');
    expect(final.delivery).toMatchObject({ via: 'git', repository: 'deploy', branch: 'main', file: 'apps/cli-json.yaml', commit: await commitWithSubject('deploy', 'chore: promote zai-proxy to v1.3.0') });
    expect(final.release).toMatchObject({ state: 'done', repository: 'app-source', version: '1.3.0', tag: 'v1.3.0', commit: await tagCommit('v1.3.0') });
    // Progress went to stderr, the release event included.
    expect(result.stderr).toMatch(/release {2}released: v1\.3\.0/);
  });

  it('a rollback shows the promotion commit and the revert commit; no release is made', async () => {
    const namespace = 'cli-reverted';
    const running = promote(namespace, '1.5.0');
    const id = await poll(async () => (await client.promotions.list({ namespace, limit: 1 })).items[0]?.id);
    await waitForState(svc, id, ['verifying'], 30_000);
    prometheus.answer(/namespace="cli-reverted",variant="production"/, 0.3);
    const result = await running;
    expect(result.code, result.stdout).toBe(1);
    const commit = await commitWithSubject('deploy', 'chore: promote zai-proxy to v1.5.0');
    const revert = await commitWithSubject('deploy', 'Revert "chore: promote zai-proxy to v1.5.0"');
    expect(revert).toMatch(new RegExp(`^${SHA}$`));
    const lines = result.stdout.split('\n');
    expect(lines).toContain(`  commit    ${commit}`);
    expect(lines).toContain(`  reverted  ${revert} (git revert)`);
    expect(lines).toContain('  release   none in app-source: the promotion ended rolled_back, so there is nothing to release');
    expect(result.stdout).not.toContain('released');
    expect(result.stdout).toMatch(/✗ promotion \S+ rolled_back: post-rollout check failed: .*\n$/);
  });

  it('a release that fails (the tag is taken) is shown with its reason and how to retry; exit 1, the promotion stands', async () => {
    // Someone tagged v1.4.0 on another commit already: the release must not move it.
    await server.git('app-source', ['tag', '-a', '-m', 'tagged by hand', 'v1.4.0', 'main']);
    const taken = await tagCommit('v1.4.0');
    const result = await promote('cli-tag-taken', '1.4.0');
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const id = /✓ promotion (\S+) succeeded/.exec(result.stdout)?.[1] ?? '';
    expect(id).not.toBe('');
    const reasonPattern = `release in app-source: repository 'app-source': tag v1\\.4\\.0 already exists and points to commit ${taken.slice(0, 12)}, which is not the release commit of promotion ${id}; it is left as it is`;
    expect(result.stdout).toMatch(new RegExp(`\\n {2}release {3}failed in app-source: ${reasonPattern}\\n {12}retry: promoter finalize ${id}\\n`));
    expect(result.stdout).toMatch(new RegExp(`\\n✗ release in app-source failed: ${reasonPattern} \\(retry: promoter finalize ${id}\\)\\n$`));
    expect(result.stdout).toContain(`  commit    ${await commitWithSubject('deploy', 'chore: promote zai-proxy to v1.4.0')}`);
    expect(await tagCommit('v1.4.0')).toBe(taken);

    const json = await cli(['status', id, '--json'], { url: svc.url });
    expect(json.json<PromotionDetail>()).toMatchObject({ state: 'succeeded', release: { state: 'failed', repository: 'app-source' } });
  });
});
