/**
 * kill -9 of the real service process (one `node --import tsx main.ts` process: see test/fixtures/process.ts)
 * during each active state, then a restart. Real Postgres, the fake Kubernetes API through a kubeconfig,
 * and a webhook check served by this test as the gate (so each phase's outcome is under its control).
 *
 * Three kills: (1) four promotions held at once in analyzing (a 6-sample gate), promoting (stalled
 * rollout), verifying (15 s bake) and rolling_back (stalled rollback rollout); (2) during the forward
 * PATCH request itself (the fake kills the service just before applying it: the patch lands, the answer
 * is lost); (3) the same during the rollback PATCH. The restarted process of one scenario is the running
 * service of the next. PROMOTER_ENGINE_LEASE_MS=2000 and PROMOTER_ENGINE_POLL_MS=100, so a dead
 * process's leases expire within ~2 s.
 *
 * What must hold: every promotion reaches the right terminal state, with at most one PATCH each way
 * (counted in the fake's request log), even when the process died between sending a patch and hearing
 * the answer.
 *
 * On both databases (kill9.test.ts: PostgreSQL; kill9.pglite.test.ts: the embedded default, whose data
 * directory on disk is all that survives the kill). On PGlite the test reads through the service's API,
 * since the data directory belongs to the service process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { createTestDatabase, migratedDataDir, type TestDatabase, type TestEngine } from '../fixtures/database.js';
import type { ServiceProcess } from '../fixtures/process.js';
import { apiReader, databaseReader, patchesOf, report, startService, startWebhook, statusCounts, TERMINAL, until, webhookPolicy, type PromotionReader, type Webhook } from './support.js';

const OLD = 'registry.example/web:1.0.0';
const alive = (pid: number | undefined): boolean => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const NEW = 'registry.example/web:2.0.0';

/** Registers the suite on a `engine` database. */
export function kill9Suite(engine: TestEngine): void {
  describe(`kill -9 during each active state on ${engine}`, () => {
    let kube: FakeKube;
    let webhook: Webhook;
    let database: TestDatabase | undefined;
    let reader: PromotionReader;
    let dir: string;
    let env: Record<string, string>;
    let current: ServiceProcess | undefined;
    let starts = 0;
    /** Namespaces whose post-rollout webhook check fails. */
    const failPost = new Set<string>();

    const service = async (): Promise<ServiceProcess> => {
      if (current && current.child.exitCode === null && current.child.signalCode === null) return current;
      current = await startService(env);
      starts += 1;
      return current;
    };

    beforeAll(async () => {
      kube = await startFakeKube();
      webhook = await startWebhook();
      webhook.respond((call) => (call.phase === 'post' && failPost.has(call.namespace) ? 412 : 200));
      dir = mkdtempSync(join(tmpdir(), 'promoter-kill9-'));
      await kube.writeKubeconfig(join(dir, 'kubeconfig'));
      if (engine === 'postgres') {
        database = await createTestDatabase('postgres');
        reader = databaseReader(database.handle.db);
      } else {
        reader = apiReader(() => (current as ServiceProcess).url);
      }
      env = {
        // On PGlite the folder starts migrated: what is tested is the restarts, not the first start's initdb.
        ...(database ? { DATABASE_URL: database.url as string } : { PROMOTER_DATA_DIR: await migratedDataDir(join(dir, 'data')) }),
        KUBECONFIG: join(dir, 'kubeconfig'),
        PROMOTER_ENGINE_LEASE_MS: '2000',
        PROMOTER_ENGINE_POLL_MS: '100',
        PROMOTER_WEBHOOK_ALLOWED_URLS: webhook.url,
      };
      const svc = await service();
      const policies = {
        // Six measurements a second apart: the gate lasts ~5 s.
        gate6: webhookPolicy(webhook.url, { interval: '1s' }, { samples: 6 }),
        quick: webhookPolicy(webhook.url),
        bake15: webhookPolicy(webhook.url, { bake: '15s' }),
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

    const image = (namespace: string) => kube.getDeployment(namespace, 'web')?.spec.template.spec.containers[0]?.image;
    const patchPath = (namespace: string) => `/apis/apps/v1/namespaces/${namespace}/deployments/web`;

    const promote = async (namespace: string, policy: string, rollout?: { stall: boolean }): Promise<string> => {
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
    const killAndRestart = async () => {
      const victim = current as ServiceProcess;
      const killedAt = Date.now();
      const signal = await victim.stop('SIGKILL').then(() => victim.child.signalCode);
      expect(signal).toBe('SIGKILL');
      expect(alive(victim.child.pid), 'the service process itself is gone, not just a wrapper').toBe(false);
      // The pid check alone cannot tell (the pid is reaped by then): nothing answers at the service's address.
      await expect(fetch(`${victim.url}/healthz`), 'the killed service still answers').rejects.toThrow();
      await service();
      return { killedAt, restartedMs: Date.now() - killedAt };
    };

    /** ms from the kill to the first thing the restarted process recorded (an event or a measurement). */
    const resumeGap = async (id: string, killedAt: number) => {
      const times = (await reader.recordTimes(id)).filter((t) => t > killedAt);
      return times.length === 0 ? null : Math.min(...times) - killedAt;
    };


    it('four promotions held in analyzing, promoting, verifying and rolling_back: one kill -9, all finish right', async () => {
      // rolling_back: promoted, verifying, then its post check fails and the rollback's rollout stalls.
      const rb = await promote('k-rolling-back', 'bake30');
      // verifying: a 15 s bake.
      const vf = await promote('k-verifying', 'bake15');
      // promoting: patched, and the rollout stalls.
      const pr = await promote('k-promoting', 'quick', { stall: true });
      await reader.waitFor(rb, ['verifying'], 20_000);
      kube.setRollout('k-rolling-back', 'web', { stall: true });
      failPost.add('k-rolling-back');
      await reader.waitFor(rb, ['rolling_back'], 20_000, async () => statusCounts(patchesOf(kube, 'k-rolling-back', 'web'))['200'] === 2);
      // analyzing: six measurements a second apart; killed after two.
      const an = await promote('k-analyzing', 'gate6');
      await until(async () => ((await reader.checkCounts(an))['pre:pass'] ?? 0) >= 2, 'two gate measurements', 20_000);
      await reader.waitFor(pr, ['promoting'], 20_000, async () => statusCounts(patchesOf(kube, 'k-promoting', 'web'))['200'] === 1);
      await reader.waitFor(vf, ['verifying'], 20_000);
      const ids = { analyzing: an, promoting: pr, verifying: vf, rolling_back: rb };
      const atKill: Record<string, unknown> = {};
      for (const [state, id] of Object.entries(ids)) {
        const row = await reader.read(id);
        expect(row.state, `${state} at the kill`).toBe(state);
        atKill[state] = { leaseHeld: engine === 'postgres' ? row.lease_owner !== null : 'not in the API', checks: await reader.checkCounts(id) };
      }

      const kill = await killAndRestart();
      // Let the new process take every promotion over while the rollouts still stall, then let them finish.
      await until(async () => {
        const rows = await Promise.all(Object.values(ids).map((id) => reader.read(id)));
        return rows.every((r) => r.updatedAt > kill.killedAt);
      }, 'the restarted process to step all four', 20_000);
      kube.setRollout('k-promoting', 'web', { stall: false });
      kube.setRollout('k-rolling-back', 'web', { stall: false });

      const expected = { analyzing: 'succeeded', promoting: 'succeeded', verifying: 'succeeded', rolling_back: 'rolled_back' } as const;
      const namespaces = { analyzing: 'k-analyzing', promoting: 'k-promoting', verifying: 'k-verifying', rolling_back: 'k-rolling-back' } as const;
      for (const state of Object.keys(ids) as (keyof typeof ids)[]) {
        const id = ids[state];
        const done = await reader.waitFor(id, TERMINAL, 40_000);
        expect(done.state, `${state}:\n${(await reader.events(id)).join('\n')}`).toBe(expected[state]);
        const patches = patchesOf(kube, namespaces[state], 'web');
        // At most one patch each way: forward only, or forward and back.
        expect(statusCounts(patches), state).toEqual({ '200': state === 'rolling_back' ? 2 : 1 });
        expect(image(namespaces[state])).toBe(state === 'rolling_back' ? OLD : NEW);
        const counts = await reader.checkCounts(id);
        if (state === 'analyzing') expect(counts['pre:pass']).toBe(6); // exactly `samples`: none lost, none counted twice
        const times = await reader.transitionTimes(id);
        report(`kill9/${engine}/${state}`, {
          atKill: atKill[state],
          restartedMs: kill.restartedMs,
          msFromKillToFirstStepOfNewProcess: await resumeGap(id, kill.killedAt),
          state: done.state,
          checks: counts,
          ...(state === 'verifying' ? { bakeMs: (times.succeeded ?? 0) - (times.verifying ?? 0) } : {}),
          ...(state === 'analyzing' ? { preWebhookCalls: webhook.calls.filter((c) => c.namespace === 'k-analyzing' && c.phase === 'pre').length } : {}),
          patchRequests: statusCounts(patches),
        });
      }
    }, 90_000);

    it('promoting, during the patch request: the patch lands, its answer is lost, the restart recognises it (one patch)', async () => {
      const namespace = 'k-patching';
      // The fake runs this just before it applies the patch: the service dies with the request in flight.
      kube.beforeNext({ method: 'PATCH', path: patchPath(namespace) }, () => current?.child.kill('SIGKILL'));
      const id = await promote(namespace, 'quick');
      await until(() => patchesOf(kube, namespace, 'web').length === 1 && current?.child.signalCode === 'SIGKILL', 'the patch request and the kill', 20_000);
      // PostgreSQL can be read while no service runs; the embedded database only through the restarted one.
      const leaseHeldByDeadProcess = engine === 'postgres' ? (await reader.read(id)).lease_owner !== null : 'not in the API';
      const kill = await killAndRestart();
      const stateAtKill = await reader.stateAt(id, kill.killedAt);
      expect(stateAtKill).toBe('promoting');
      const done = await reader.waitFor(id, TERMINAL, 30_000);
      const events = await reader.events(id);
      expect(done.state, events.join('\n')).toBe('succeeded');
      const patches = patchesOf(kube, namespace, 'web');
      expect(statusCounts(patches)).toEqual({ '200': 1 });
      const log = kube.requests.filter((r) => r.path.includes(namespace)).map((r) => `${r.time} ${r.method} ${r.path} ${r.status} ${JSON.stringify(r.body)?.slice(0, 300)}`);
      // The process died before it heard the answer, so the restart's read decided: "already patched by us".
      expect(events.some((e) => e.includes('found the Deployment already patched by this promotion')), [...events, ...log].join('\n')).toBe(true);
      expect(image(namespace)).toBe(NEW);
      expect(kube.getDeployment(namespace, 'web')?.metadata.generation).toBe(2);
      report(`kill9/${engine}/promoting-during-patch`, { stateAtKill, leaseHeldByDeadProcess, restartedMs: kill.restartedMs, msFromKillToFirstStepOfNewProcess: await resumeGap(id, kill.killedAt), state: done.state, patchRequests: statusCounts(patches), resumedEvent: events.find((e) => e.includes('already patched')) });
    });

    it('rolling_back, during the rollback patch request: the restart finds it reverted and ends rolled_back (one patch each way)', async () => {
      const namespace = 'k-revert';
      const id = await promote(namespace, 'bake30');
      await reader.waitFor(id, ['verifying'], 20_000);
      kube.beforeNext({ method: 'PATCH', path: patchPath(namespace) }, () => current?.child.kill('SIGKILL'));
      failPost.add(namespace);
      await until(() => patchesOf(kube, namespace, 'web').length === 2 && current?.child.signalCode === 'SIGKILL', 'the rollback patch and the kill', 20_000);
      const leaseHeldByDeadProcess = engine === 'postgres' ? (await reader.read(id)).lease_owner !== null : 'not in the API';
      const kill = await killAndRestart();
      const stateAtKill = await reader.stateAt(id, kill.killedAt);
      expect(stateAtKill).toBe('rolling_back');
      const done = await reader.waitFor(id, TERMINAL, 30_000);
      const events = await reader.events(id);
      expect(done.state, events.join('\n')).toBe('rolled_back');
      const patches = patchesOf(kube, namespace, 'web');
      expect(statusCounts(patches)).toEqual({ '200': 2 });
      expect(image(namespace)).toBe(OLD);
      expect(events.some((e) => e.includes('already runs registry.example/web:1.0.0; nothing to revert')), events.join('\n')).toBe(true);
      report(`kill9/${engine}/rolling_back-during-patch`, { serviceStarts: starts, stateAtKill, leaseHeldByDeadProcess, restartedMs: kill.restartedMs, msFromKillToFirstStepOfNewProcess: await resumeGap(id, kill.killedAt), state: done.state, patchRequests: statusCounts(patches), resumedEvent: events.find((e) => e.includes('nothing to revert')) });
    });
  });
}
