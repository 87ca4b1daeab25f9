/**
 * kill -9 of the real service process (test/fixtures/process.ts) delivering through Git, at the worst
 * moment: its push has landed on the git server, and it has not heard so, so nothing about the commit is
 * recorded. A proxy in front of the git server (`startPushHoldingProxy`) lets `git http-backend` finish
 * the push (branch updated), keeps the answer, and the test SIGKILLs the service right then. A second
 * process on the same database and the same Git cache folder (a restarted pod with its volume) takes the
 * promotion over when the dead one's lease expires (PROMOTER_ENGINE_LEASE_MS=2000).
 *
 * What must hold: the restarted process recognises the commit by its `Promotion-Id` trailer, makes no
 * second commit (git log of the bare repository), follows the fake Argo CD's sync of that commit to the
 * fake Kubernetes API, and the promotion ends `succeeded`; the service never patched the Deployment.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { createTestDatabase, type TestDatabase } from '../fixtures/database.js';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';
import { startGitOpsController, type GitOpsController } from '../fixtures/gitops-controller.js';
import type { ServiceProcess } from '../fixtures/process.js';
import { MANIFEST, startPushHoldingProxy, writeTokenFile, type PushHoldingProxy } from '../gitops/support.js';
import { eventsOf, patchesOf, readPromotion, report, startService, startWebhook, TERMINAL, until, waitForDbState, webhookPolicy, type Webhook } from './support.js';

const TOKEN = 'kill9-git-token-5be0c2';
const NAMESPACE = 'k-git';
const FILE = 'apps/zai-proxy.yaml';
const OLD = 'ronaldraygun/zai-proxy:1.2.0';
const NEW = 'ronaldraygun/zai-proxy:1.2.1';
const SUBJECT = 'chore: promote zai-proxy to v1.2.1';

describe('kill -9 after the Git push landed, before the record says so', () => {
  let kube: FakeKube;
  let webhook: Webhook;
  let database: TestDatabase;
  let server: GitServer;
  let proxy: PushHoldingProxy;
  let controller: GitOpsController;
  let dir: string;
  let env: Record<string, string>;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    kube = await startFakeKube();
    webhook = await startWebhook();
    database = await createTestDatabase('postgres');
    dir = mkdtempSync(join(tmpdir(), 'promoter-kill9-git-'));
    await kube.writeKubeconfig(join(dir, 'kubeconfig'));
    server = await startGitServer({ token: TOKEN });
    await server.createRepository('deploy', { [FILE]: MANIFEST.replace('namespace: mcp', `namespace: ${NAMESPACE}`) });
    proxy = await startPushHoldingProxy(server);
    kube.addDeployment({ namespace: NAMESPACE, name: 'zai-proxy', containers: [{ name: 'proxy', image: OLD }, { name: 'sidecar', image: 'envoyproxy/envoy:v1.30.1' }], replicas: 3 });
    controller = startGitOpsController({
      kubeConfig: kube.kubeConfig(),
      intervalMs: 100,
      applications: [{ name: 'deploy', repository: server.barePath('deploy'), file: FILE, target: { namespace: NAMESPACE, deployment: 'zai-proxy', container: 'proxy' } }],
    });
    const repositories = join(dir, 'git-repositories.json');
    writeFileSync(
      repositories,
      JSON.stringify({
        // Shared by both processes, as a pod's volume survives its restart.
        cacheDir: join(dir, 'git-cache'),
        repositories: [
          { name: 'deploy', url: proxy.httpUrl('deploy'), branch: 'main', auth: { type: 'token', tokenFile: await writeTokenFile(TOKEN) }, author: { name: 'Promoter Bot', email: 'promoter@example.com' } },
        ],
      }),
    );
    env = {
      DATABASE_URL: database.url as string,
      KUBECONFIG: join(dir, 'kubeconfig'),
      PROMOTER_DATA_DIR: join(dir, 'data'),
      PROMOTER_GIT_REPOSITORIES_FILE: repositories,
      PROMOTER_ENGINE_LEASE_MS: '2000',
      PROMOTER_ENGINE_POLL_MS: '100',
      PROMOTER_WEBHOOK_ALLOWED_URLS: webhook.url,
    };
  }, 60_000);

  afterAll(async () => {
    for (const service of processes) await service.stop('SIGTERM');
    await controller?.stop();
    await proxy?.close();
    await server?.close();
    await database?.drop();
    await webhook?.close();
    await kube?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const promotionCommits = async () => (await server.subjects('deploy')).filter((subject) => subject === SUBJECT);

  it('the restarted process finds its pushed commit by the trailer, commits nothing more, and succeeds', async () => {
    const first = await startService(env);
    processes.push(first);
    const policy = await fetch(`${first.url}/v1/policies/git-quick`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(webhookPolicy(webhook.url)) });
    expect(policy.status, await policy.text()).toBe(201);

    let killedAt = 0;
    proxy.holdNextPush(async () => {
      killedAt = Date.now();
      await first.stop('SIGKILL');
    });
    const created = await fetch(`${first.url}/v1/promotions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        target: { namespace: NAMESPACE, deployment: 'zai-proxy', container: 'proxy' },
        image: NEW,
        policy: 'git-quick',
        reason: 'kill -9 after the push',
        delivery: { via: 'git', repository: 'deploy', file: FILE },
      }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const id = ((await created.json()) as { id: string }).id;

    await until(() => proxy.held === 1 && first.child.signalCode === 'SIGKILL', 'the push to land and the kill', 30_000);
    // The push landed: the branch holds the promotion's commit, with its trailer...
    expect(await promotionCommits()).toHaveLength(1);
    const pushed = (await server.git('deploy', ['log', '-1', '--format=%H%n%(trailers:key=Promotion-Id,valueonly)', 'main'])).trim().split('\n');
    expect(pushed[1]).toBe(id);
    // ...and the dead process recorded none of it.
    const atKill = await readPromotion(database.handle.db, id);
    expect(atKill.state).toBe('promoting');
    const recorded = await database.handle.db.selectFrom('promotions').select(['delivery']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(recorded.delivery, 'the settings of the request, no commit').toEqual(expect.objectContaining({ via: 'git', repository: 'deploy', file: FILE }));
    expect(recorded.delivery, 'no commit recorded').not.toHaveProperty('commit');
    expect((await eventsOf(database.handle.db, id)).filter((line) => line.startsWith('commit '))).toEqual([]);

    const second = await startService(env);
    processes.push(second);
    const restartedMs = Date.now() - killedAt;
    const done = await waitForDbState(database.handle.db, id, TERMINAL, 60_000);
    const events = await eventsOf(database.handle.db, id);
    expect(done.state, `${events.join('\n')}\n${second.output().slice(-3000)}`).toBe('succeeded');

    expect(await promotionCommits(), 'one promotion commit on the branch').toHaveLength(1);
    expect((await server.git('deploy', ['rev-parse', 'main'])).trim()).toBe(pushed[0]);
    const resumed = events.find((line) => line.startsWith('commit ') && line.includes('found its own commit (resumed after a restart)'));
    expect(resumed, events.join('\n')).toContain(`(${pushed[0]?.slice(0, 12)})`);
    const finalRecord = await database.handle.db.selectFrom('promotions').select(['delivery']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(finalRecord.delivery).toMatchObject({ via: 'git', repository: 'deploy', branch: 'main', file: FILE, commit: pushed[0] });
    // The cluster runs the new image because the controller synced that commit, not because of a patch.
    expect(kube.getDeployment(NAMESPACE, 'zai-proxy')?.spec.template.spec.containers[0]?.image).toBe(NEW);
    expect(controller.syncs.filter((sync) => sync.image === NEW).map((sync) => sync.commit)).toEqual([pushed[0]]);
    expect(patchesOf(kube, NAMESPACE, 'zai-proxy').filter((patch) => JSON.stringify(patch.body).includes('promoter.dev'))).toEqual([]);
    expect([first.output(), second.output()].join('\n')).not.toContain(TOKEN);

    report('kill9/git-after-push', { stateAtKill: atKill.state, leaseHeldByDeadProcess: atKill.lease_owner !== null, restartedMs, state: done.state, promotionCommits: (await promotionCommits()).length, resumedEvent: resumed });
  }, 120_000);
});
