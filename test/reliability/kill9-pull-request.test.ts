/**
 * kill -9 of the real service process (test/fixtures/process.ts) delivering through a pull request on a
 * protected branch (the fake GitHub, packages/fake-forge), twice, at the two moments that matter:
 *
 * 1. The forge opened the pull request, and the service never heard so: `holdNextAnswer` lets the fake
 *    GitHub open it and keeps the answer while the test SIGKILLs the process. Nothing about it is recorded.
 * 2. The promotion waits in `awaiting_merge` for the required check; the process is SIGKILLed, and while no
 *    process runs, CI reports success on the pull request.
 *
 * A new process on the same database and Git cache takes over each time when the dead one's lease expires
 * (PROMOTER_ENGINE_LEASE_MS=2000). What must hold: one pull request in all (the second process finds the
 * one it opened, by its branch `promoter/<id>`), one promotion commit on `main`, merged by the service once
 * CI passed, synced by the GitOps controller (the service never patches the Deployment), and `succeeded`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeForge, type FakeForge } from '@promoter/fake-forge';
import { startGitOpsController, type GitOpsController } from '../fixtures/gitops-controller.js';
import { MANIFEST, writeTokenFile } from '../gitops/support.js';
import { eventsOf, patchesOf, readPromotion, report, startKillRig, TERMINAL, until, waitForDbState, webhookPolicy, type KillRig } from './support.js';

const NAMESPACE = 'k-pr';
const FILE = 'apps/zai-proxy.yaml';
const OLD = 'ronaldraygun/zai-proxy:1.2.0';
const NEW = 'ronaldraygun/zai-proxy:1.2.1';
const REPOSITORY = 'acme/deploy';

describe('kill -9 while a promotion goes through a pull request', () => {
  let rig: KillRig;
  let forge: FakeForge;
  let controller: GitOpsController;

  beforeAll(async () => {
    rig = await startKillRig('kill9-pr');
    forge = await startFakeForge({ kind: 'github' });
    await forge.createRepository(REPOSITORY, { [FILE]: MANIFEST.replace('namespace: mcp', `namespace: ${NAMESPACE}`) });
    await forge.protectBranch(REPOSITORY, 'main', { requiredChecks: ['ci'] });
    rig.kube.addDeployment({ namespace: NAMESPACE, name: 'zai-proxy', containers: [{ name: 'proxy', image: OLD }], replicas: 3 });
    controller = startGitOpsController({
      kubeConfig: rig.kube.kubeConfig(),
      intervalMs: 100,
      applications: [{ name: 'deploy', repository: forge.barePath(REPOSITORY), file: FILE, target: { namespace: NAMESPACE, deployment: 'zai-proxy', container: 'proxy' } }],
    });
    const repositories = join(rig.dir, 'git-repositories.json');
    writeFileSync(
      repositories,
      JSON.stringify({
        // Shared by every process, as a pod's volume survives its restart.
        cacheDir: join(rig.dir, 'git-cache'),
        repositories: [
          {
            name: 'deploy',
            url: forge.gitUrl(REPOSITORY),
            branch: 'main',
            auth: { type: 'token', tokenFile: await writeTokenFile(forge.tokenOf('promoter')), username: 'promoter' },
            author: { name: 'Promoter Bot', email: 'promoter@example.com' },
            changes: 'pull-request',
            forge: { type: 'github', apiUrl: forge.apiUrl, project: REPOSITORY },
            merge: 'auto',
          },
        ],
      }),
    );
    Object.assign(rig.env, { PROMOTER_GIT_REPOSITORIES_FILE: repositories, PROMOTER_PULL_REQUEST_POLL_MS: '200' });
  }, 60_000);

  afterAll(async () => {
    await controller?.stop();
    await forge?.close();
    await rig?.close();
  });

  const pullRequestEvents = async (id: string) => (await eventsOf(rig.database.handle.db, id)).filter((line) => line.startsWith('pull_request '));

  it('a process killed as the pull request opened, and one killed while it waited: one pull request, merged once, succeeded', async () => {
    const first = await rig.start();
    const policy = await fetch(`${first.url}/v1/policies/pr-quick`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(webhookPolicy(rig.webhook.url)) });
    expect(policy.status, await policy.text()).toBe(201);

    // Kill 1: GitHub opens the pull request; its answer never reaches the service.
    let firstKilledAt = 0;
    forge.holdNextAnswer('POST', /^\/repos\/acme\/deploy\/pulls$/, async () => {
      firstKilledAt = Date.now();
      await first.stop('SIGKILL');
    });
    const created = await fetch(`${first.url}/v1/promotions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        target: { namespace: NAMESPACE, deployment: 'zai-proxy', container: 'proxy' },
        image: NEW,
        policy: 'pr-quick',
        reason: 'kill -9 around a pull request',
        delivery: { via: 'git', repository: 'deploy', file: FILE },
      }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    await until(() => first.child.signalCode === 'SIGKILL', 'the pull request to open and the kill', 30_000);
    expect(forge.pulls(REPOSITORY), 'GitHub opened it').toHaveLength(1);
    const atFirstKill = await readPromotion(rig.database.handle.db, id);
    expect(atFirstKill.state, 'the dead process recorded no pull request').toBe('promoting');
    expect(await pullRequestEvents(id)).toEqual([]);

    // The second process resumes the step: its branch holds its commit, and GitHub says the pull request exists.
    const second = await rig.start();
    const waiting = await waitForDbState(rig.database.handle.db, id, ['awaiting_merge', ...TERMINAL], 60_000);
    const resumedMs = Date.now() - firstKilledAt;
    expect(waiting.state, `${(await eventsOf(rig.database.handle.db, id)).join('\n')}\n${second.output().slice(-3000)}`).toBe('awaiting_merge');
    const pulls = forge.pulls(REPOSITORY);
    expect(pulls, 'no second pull request').toHaveLength(1);
    const pull = pulls[0];
    if (pull === undefined) throw new Error('no pull request');
    // The step that opens it ran once more and found it; nothing opened a second. (By the time this is read the
    // engine may already have looked at it again: "… is not merged yet", an event of awaiting_merge.)
    const proposed = (await pullRequestEvents(id)).filter((line) => line.startsWith('pull_request promoting'));
    expect(proposed).toEqual([expect.stringMatching(new RegExp(`^pull_request promoting -> : found pull request #${pull.number} \\(promoter/${id} -> main\\), opened before a restart: http`))]);
    const { delivery } = await rig.database.handle.db.selectFrom('promotions').select(['delivery']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(delivery).toMatchObject({ pullRequest: { number: pull.number, branch: `promoter/${id}`, state: 'open' } });

    // Kill 2: while it waits for CI, the process dies; CI passes while nothing runs.
    await second.stop('SIGKILL');
    const secondKilledAt = Date.now();
    forge.setStatus(REPOSITORY, (await forge.branchSha(REPOSITORY, `promoter/${id}`)) as string, 'ci', 'success');
    const atSecondKill = await readPromotion(rig.database.handle.db, id);
    expect(atSecondKill.state).toBe('awaiting_merge');

    const third = await rig.start();
    const done = await waitForDbState(rig.database.handle.db, id, TERMINAL, 60_000);
    const mergedMs = Date.now() - secondKilledAt;
    const events = await eventsOf(rig.database.handle.db, id);
    expect(done.state, `${events.join('\n')}\n${third.output().slice(-3000)}`).toBe('succeeded');

    const merged = forge.pull(REPOSITORY, pull.number);
    expect(merged).toMatchObject({ state: 'merged', mergedBy: 'promoter' });
    expect(forge.pulls(REPOSITORY), 'still one pull request').toHaveLength(1);
    const subjects = (await forge.gitIn(REPOSITORY, ['log', '--first-parent', '--format=%s', 'main'])).trim().split('\n');
    expect(subjects.filter((subject) => subject.startsWith('chore: promote zai-proxy to v1.2.1')), 'one merge of the promotion on main').toHaveLength(1);
    expect(await forge.readFile(REPOSITORY, FILE, 'main')).toContain(`image: ${NEW}`);
    // The cluster runs the new image because the controller synced the merge, not because of a patch.
    expect(rig.kube.getDeployment(NAMESPACE, 'zai-proxy')?.spec.template.spec.containers[0]?.image).toBe(NEW);
    expect(controller.syncs.filter((sync) => sync.image === NEW).map((sync) => sync.commit)).toEqual([merged.mergeCommitSha]);
    expect(patchesOf(rig.kube, NAMESPACE, 'zai-proxy').filter((patch) => JSON.stringify(patch.body).includes('promoter.dev'))).toEqual([]);
    const final = await rig.database.handle.db.selectFrom('promotions').select(['delivery']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(final.delivery).toMatchObject({ pullRequest: { number: pull.number, state: 'merged', mergedBy: 'promoter' }, commit: merged.mergeCommitSha });
    for (const service of [first, second, third]) expect(service.output()).not.toContain(forge.tokenOf('promoter'));

    report('kill9/pull-request', { resumedAfterFirstKillMs: resumedMs, succeededAfterSecondKillMs: mergedMs, pullRequests: forge.pulls(REPOSITORY).length, pullRequestEvents: await pullRequestEvents(id) });
  }, 180_000);
});
