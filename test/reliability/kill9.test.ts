/**
 * kill -9 of the real service process (`tsx main.ts`, as `npm start` runs it) during each active state,
 * then a restart: analyzing, promoting (during the image patch request itself, and while the rollout is
 * followed), verifying, and rolling_back (during the rollback's patch request, and while its rollout is
 * followed). Real Postgres, the fake Kubernetes API through a kubeconfig, and a webhook check served by
 * this test as the gate (so each phase's outcome is under the test's control).
 *
 * PROMOTER_ENGINE_LEASE_MS=2000 and PROMOTER_ENGINE_POLL_MS=100, so the restarted process takes over the
 * dead one's leases within ~2 s. The restarted process of one scenario is the running service of the
 * next, so each scenario costs one start.
 *
 * What must hold: every promotion reaches the right terminal state, with at most one PATCH each way
 * (counted in the fake's request log), even when the process died between sending a patch and hearing
 * the answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '../fake-kube/index.js';
import { createTestDatabase, type TestDatabase } from '../fixtures/database.js';
import { startServiceProcess, type ServiceProcess } from '../fixtures/process.js';
import { checkResultCounts, eventsOf, patchesOf, report, startWebhook, statusCounts, TERMINAL, transitionTimes, until, waitForDbState, webhookPolicy, type Webhook } from './support.js';

const OLD = 'registry.example/web:1.0.0';
const NEW = 'registry.example/web:2.0.0';

describe('kill -9 during each active state', () => {
  let kube: FakeKube;
  let webhook: Webhook;
  let database: TestDatabase;
  let dir: string;
  let env: Record<string, string>;
  let current: ServiceProcess | undefined;
  let starts = 0;
  /** Namespaces whose post-rollout webhook check fails. */
  const failPost = new Set<string>();

  const service = async (): Promise<ServiceProcess> => {
    if (current && current.child.exitCode === null && current.child.signalCode === null) return current;
    current = await startServiceProcess(env);
    starts += 1;
    return current;
  };

  beforeAll(async () => {
    kube = await startFakeKube();
    webhook = await startWebhook();
    webhook.respond((call) => (call.phase === 'post' && failPost.has(call.namespace) ? 412 : 200));
    database = await createTestDatabase('postgres');
    dir = mkdtempSync(join(tmpdir(), 'promoter-kill9-'));
    await kube.writeKubeconfig(join(dir, 'kubeconfig'));
    env = {
      DATABASE_URL: database.url as string,
      KUBECONFIG: join(dir, 'kubeconfig'),
      PROMOTER_ENGINE_LEASE_MS: '2000',
      PROMOTER_ENGINE_POLL_MS: '100',
    };
    const svc = await service();
    const policies = {
      // Five measurements a second apart: the gate lasts ~4 s.
      gate5: webhookPolicy(webhook.url, { interval: '1s' }, { samples: 5 }),
      quick: webhookPolicy(webhook.url),
      bake6: webhookPolicy(webhook.url, { bake: '6s' }),
      // Long enough that a rollback always starts from verifying, never after success.
      bake30: webhookPolicy(webhook.url, { bake: '30s' }),
    };
    for (const [name, policy] of Object.entries(policies)) {
      const response = await fetch(`${svc.url}/v1/policies/${name}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(policy) });
      expect(response.status, await response.text()).toBe(201);
    }
  }, 60_000);

  afterAll(async () => {
    if (current) await current.stop('SIGTERM');
    await database?.drop();
    await webhook?.close();
    await kube?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const db = () => database.handle.db;
  const image = (namespace: string) => kube.getDeployment(namespace, 'web')?.spec.template.spec.containers[0]?.image;
  const patchPath = (namespace: string) => `/apis/apps/v1/namespaces/${namespace}/deployments/web`;

  const promote = async (namespace: string, policy: string, rollout?: { stepMs: number }): Promise<string> => {
    kube.addDeployment({ namespace, name: 'web', containers: [{ name: 'app', image: OLD }], replicas: 3, ...(rollout ? { rollout } : {}) });
    const svc = await service();
    const response = await fetch(`${svc.url}/v1/promotions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target: { namespace, deployment: 'web', container: 'app' }, image: NEW, policy, reason: `kill -9 ${namespace}` }),
    });
    expect(response.status, await response.clone().text()).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };

  /** SIGKILLs the running service (unless a fault hook already did), restarts it, and measures the gap. */
  const killAndRestart = async (id: string) => {
    const victim = current as ServiceProcess;
    const stateAtKill = (await waitForDbState(db(), id, ['analyzing', 'promoting', 'verifying', 'rolling_back'], 1)).state;
    const killedAt = Date.now();
    const signal = await victim.stop('SIGKILL').then(() => victim.child.signalCode);
    expect(signal).toBe('SIGKILL');
    const leaseAtKill = (await waitForDbState(db(), id, [stateAtKill], 1)).lease_owner;
    await service();
    const restartedMs = Date.now() - killedAt;
    return { stateAtKill, killedAt, restartedMs, leaseHeldByDeadProcess: leaseAtKill !== null };
  };

  /** ms from the kill to the first event the restarted process wrote. */
  const resumeGap = async (id: string, killedAt: number) => {
    const rows = await db().selectFrom('promotion_events').select(['at']).where('promotion_id', '=', id).orderBy('id').execute();
    const first = rows.map((r) => r.at.getTime()).find((t) => t > killedAt);
    return first === undefined ? null : first - killedAt;
  };

  it('analyzing: the gate resumes where it stopped and the promotion succeeds with one patch', async () => {
    const id = await promote('k-analyzing', 'gate5');
    await until(async () => ((await checkResultCounts(db(), id))['pre:pass'] ?? 0) >= 2, 'two gate measurements', 20_000);
    const passesAtKill = (await checkResultCounts(db(), id))['pre:pass'] ?? 0;
    const kill = await killAndRestart(id);
    const done = await waitForDbState(db(), id, TERMINAL, 30_000);
    expect(done.state, (await eventsOf(db(), id)).join('\n')).toBe('succeeded');
    const counts = await checkResultCounts(db(), id);
    expect(counts['pre:pass']).toBe(5); // exactly `samples`: none lost, none counted twice
    const patches = patchesOf(kube, 'k-analyzing', 'web');
    expect(statusCounts(patches)).toEqual({ '200': 1 });
    expect(image('k-analyzing')).toBe(NEW);
    const preCalls = webhook.calls.filter((c) => c.namespace === 'k-analyzing' && c.phase === 'pre').length;
    report('kill9/analyzing', { ...kill, killedAt: undefined, passesAtKill, prePassesStored: counts['pre:pass'], preWebhookCalls: preCalls, msFromKillToFirstEventOfNewProcess: await resumeGap(id, kill.killedAt), state: done.state, patchRequests: statusCounts(patches) });
  });

  it('promoting, during the patch request: the patch lands, its answer is lost, the restart recognises it (one patch)', async () => {
    const namespace = 'k-patching';
    // The fake runs this just before it applies the patch: the service dies with the request in flight.
    kube.beforeNext({ method: 'PATCH', path: patchPath(namespace) }, () => current?.child.kill('SIGKILL'));
    const id = await promote(namespace, 'quick');
    await until(() => patchesOf(kube, namespace, 'web').length === 1 && current?.child.signalCode === 'SIGKILL', 'the patch request and the kill', 20_000);
    const kill = await killAndRestart(id);
    expect(kill.stateAtKill).toBe('promoting');
    const done = await waitForDbState(db(), id, TERMINAL, 30_000);
    const events = await eventsOf(db(), id);
    expect(done.state, events.join('\n')).toBe('succeeded');
    const patches = patchesOf(kube, namespace, 'web');
    expect(statusCounts(patches)).toEqual({ '200': 1 });
    expect(events.some((e) => e.includes('found the Deployment already patched by this promotion'))).toBe(true);
    expect(image(namespace)).toBe(NEW);
    expect(kube.getDeployment(namespace, 'web')?.metadata.generation).toBe(2);
    report('kill9/promoting-during-patch', { ...kill, killedAt: undefined, msFromKillToFirstEventOfNewProcess: await resumeGap(id, kill.killedAt), state: done.state, patchRequests: statusCounts(patches), resumedEvent: events.find((e) => e.includes('already patched')) });
  });

  it('promoting, while the rollout is followed: it resumes following it and succeeds with one patch', async () => {
    const namespace = 'k-rollout';
    const id = await promote(namespace, 'quick', { stepMs: 400 }); // ~3.6 s for three replicas
    await waitForDbState(db(), id, ['promoting'], 20_000, async () => patchesOf(kube, namespace, 'web').some((p) => p.status === 200));
    const replicasAtKill = kube.getDeployment(namespace, 'web')?.status?.updatedReplicas ?? 0;
    const kill = await killAndRestart(id);
    expect(kill.stateAtKill).toBe('promoting');
    const done = await waitForDbState(db(), id, TERMINAL, 30_000);
    expect(done.state, (await eventsOf(db(), id)).join('\n')).toBe('succeeded');
    const patches = patchesOf(kube, namespace, 'web');
    expect(statusCounts(patches)).toEqual({ '200': 1 });
    expect(image(namespace)).toBe(NEW);
    report('kill9/promoting-during-rollout', { ...kill, killedAt: undefined, updatedReplicasAtKill: replicasAtKill, msFromKillToFirstEventOfNewProcess: await resumeGap(id, kill.killedAt), state: done.state, patchRequests: statusCounts(patches) });
  });

  it('verifying: the bake resumes and the promotion succeeds with one patch', async () => {
    const namespace = 'k-verifying';
    const id = await promote(namespace, 'bake6');
    await until(async () => ((await checkResultCounts(db(), id))['post:pass'] ?? 0) >= 1, 'a post measurement', 20_000);
    const kill = await killAndRestart(id);
    expect(kill.stateAtKill).toBe('verifying');
    const done = await waitForDbState(db(), id, TERMINAL, 30_000);
    expect(done.state, (await eventsOf(db(), id)).join('\n')).toBe('succeeded');
    const patches = patchesOf(kube, namespace, 'web');
    expect(statusCounts(patches)).toEqual({ '200': 1 });
    expect(image(namespace)).toBe(NEW);
    const times = await transitionTimes(db(), id);
    report('kill9/verifying', {
      ...kill,
      killedAt: undefined,
      msFromKillToFirstEventOfNewProcess: await resumeGap(id, kill.killedAt),
      bakeMs: (times.succeeded ?? 0) - (times.verifying ?? 0),
      postChecks: await checkResultCounts(db(), id),
      state: done.state,
      patchRequests: statusCounts(patches),
    });
  });

  it('rolling_back, during the rollback patch request: the restart finds it reverted and ends rolled_back (one patch each way)', async () => {
    const namespace = 'k-revert';
    const id = await promote(namespace, 'bake30');
    await waitForDbState(db(), id, ['verifying'], 20_000);
    kube.beforeNext({ method: 'PATCH', path: patchPath(namespace) }, () => current?.child.kill('SIGKILL'));
    failPost.add(namespace);
    await until(() => patchesOf(kube, namespace, 'web').length === 2 && current?.child.signalCode === 'SIGKILL', 'the rollback patch and the kill', 20_000);
    const kill = await killAndRestart(id);
    expect(kill.stateAtKill).toBe('rolling_back');
    const done = await waitForDbState(db(), id, TERMINAL, 30_000);
    const events = await eventsOf(db(), id);
    expect(done.state, events.join('\n')).toBe('rolled_back');
    const patches = patchesOf(kube, namespace, 'web');
    expect(statusCounts(patches)).toEqual({ '200': 2 });
    expect(image(namespace)).toBe(OLD);
    expect(events.some((e) => e.includes('already runs registry.example/web:1.0.0; nothing to revert'))).toBe(true);
    report('kill9/rolling_back-during-patch', { ...kill, killedAt: undefined, msFromKillToFirstEventOfNewProcess: await resumeGap(id, kill.killedAt), state: done.state, patchRequests: statusCounts(patches), resumedEvent: events.find((e) => e.includes('nothing to revert')) });
  });

  it('rolling_back, while the rollback rollout is followed: it ends rolled_back (one patch each way)', async () => {
    const namespace = 'k-rollback';
    const id = await promote(namespace, 'bake30');
    await waitForDbState(db(), id, ['verifying'], 20_000);
    kube.setRollout(namespace, 'web', { stepMs: 400 }); // the rollback's rollout takes ~3.6 s
    failPost.add(namespace);
    await waitForDbState(db(), id, ['rolling_back'], 20_000, async () => patchesOf(kube, namespace, 'web').filter((p) => p.status === 200).length === 2);
    const kill = await killAndRestart(id);
    expect(kill.stateAtKill).toBe('rolling_back');
    const done = await waitForDbState(db(), id, TERMINAL, 30_000);
    expect(done.state, (await eventsOf(db(), id)).join('\n')).toBe('rolled_back');
    const patches = patchesOf(kube, namespace, 'web');
    expect(statusCounts(patches)).toEqual({ '200': 2 });
    expect(image(namespace)).toBe(OLD);
    report('kill9/rolling_back-during-rollout', { ...kill, killedAt: undefined, msFromKillToFirstEventOfNewProcess: await resumeGap(id, kill.killedAt), state: done.state, patchRequests: statusCounts(patches), serviceStarts: starts });
  });
});
