/**
 * Durability: two engine replicas on one database never step a promotion twice, and a service killed
 * with SIGKILL while verifying finishes the promotion after a restart with exactly one patch.
 *
 * PostgreSQL only, on purpose: both tests need a database shared by several users at once (two replicas
 * contending with FOR UPDATE SKIP LOCKED; a service process and this test reading the same database),
 * which the embedded PGlite, one process with one connection, cannot be. The crash on PGlite is covered
 * by test/reliability/kill9.pglite.test.ts (its data directory on disk), one engine on PGlite by
 * engine.pglite.e2e.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeKube } from '@promoter/fake-kube';
import { startEngine, waitForState } from '../fixtures/engine.js';
import { startServiceProcess } from '../fixtures/process.js';
import type { PrometheusInstance } from '../fixtures/prometheus.js';
import { ERROR_RATIO_QUERY, startRunbookStack, type RunbookStack } from '../fixtures/runbook-stack.js';
import { startTestService, type TestService } from '../fixtures/service.js';

const POLICY = {
  interval: '1s',
  bake: '1s',
  checks: [{ name: 'error-rate', query: ERROR_RATIO_QUERY, max: 0.05 }],
};

describe('durability', () => {
  let stack: RunbookStack;
  let prometheus: PrometheusInstance;
  let kube: FakeKube;
  let svc: TestService;

  beforeAll(async () => {
    // The suite seeds its own Deployments: 20 in 'fleet', one in 'crash'.
    stack = await startRunbookStack({ namespaces: ['fleet', 'crash'], deployments: 'none' });
    ({ prometheus, kube } = stack);
    svc = await startTestService({ prometheus: stack.prometheusClient(), listen: true });
    await svc.app.inject({ method: 'PUT', url: '/v1/policies/fleet', payload: POLICY });
  }, 90_000);

  afterAll(async () => {
    await svc?.close();
    await stack?.close();
  });

  it('two replicas share 20 promotions on 20 targets: each is patched and finished exactly once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      kube.addDeployment({ namespace: 'fleet', name: `svc-${i}`, containers: [{ name: 'app', image: 'registry.example/svc:1.0.0' }] });
      const response = await svc.app.inject({
        method: 'POST',
        url: '/v1/promotions',
        payload: { target: { namespace: 'fleet', deployment: `svc-${i}`, container: 'app' }, image: 'registry.example/svc:2.0.0', policy: 'fleet' },
      });
      ids.push(response.json().id);
    }
    const prom = stack.prometheusClient();
    const replicas = [startEngine(svc, kube, prom, 'replica-a'), startEngine(svc, kube, prom, 'replica-b')];
    try {
      for (const id of ids) expect((await waitForState(svc, id, ['succeeded', 'failed', 'rolled_back', 'rejected'], 60_000)).state).toBe('succeeded');
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
    }
    for (let i = 0; i < 20; i++) {
      const patches = kube.requests.filter((r) => r.method === 'PATCH' && r.path === `/apis/apps/v1/namespaces/fleet/deployments/svc-${i}`);
      expect(patches, `svc-${i}`).toHaveLength(1);
    }
    // Every transition happened once: no promotion was stepped by both replicas at the same time.
    const events = await svc.database.handle.db.selectFrom('promotion_events').select(['promotion_id', 'to_state']).where('type', '=', 'transition').execute();
    const keys = events.filter((e) => ids.includes(e.promotion_id)).map((e) => `${e.promotion_id}:${e.to_state}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(20 * 4);
    expect(replicas[0]?.stepsCompleted).toBeGreaterThan(0);
    expect(replicas[1]?.stepsCompleted).toBeGreaterThan(0);
  }, 120_000);

  it('finishes a promotion after kill -9 during verifying, with exactly one patch', async () => {
    kube.addDeployment({ namespace: 'crash', name: 'web', containers: [{ name: 'app', image: 'registry.example/web:1.0.0' }], replicas: 2 });
    await svc.app.inject({ method: 'PUT', url: '/v1/policies/crash', payload: { ...POLICY, bake: '6s' } });
    const dir = mkdtempSync(join(tmpdir(), 'promoter-crash-'));
    const kubeconfig = join(dir, 'kubeconfig');
    await kube.writeKubeconfig(kubeconfig);
    const env = {
      DATABASE_URL: svc.database.url as string,
      PROMETHEUS_URL: prometheus.url,
      KUBECONFIG: kubeconfig,
      PROMOTER_ENGINE_LEASE_MS: '2000',
      PROMOTER_ENGINE_POLL_MS: '100',
    };
    try {
      const first = await startServiceProcess(env);
      const created = await fetch(`${first.url}/v1/promotions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ target: { namespace: 'crash', deployment: 'web', container: 'app' }, image: 'registry.example/web:2.0.0', policy: 'crash' }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      await waitForState(svc, id, ['verifying'], 60_000);
      expect(await first.stop('SIGKILL')).toBe(null);

      const second = await startServiceProcess(env);
      try {
        const done = await waitForState(svc, id, ['succeeded', 'failed', 'rolled_back'], 90_000);
        expect(done.state, second.output().slice(-2000)).toBe('succeeded');
      } finally {
        expect(await second.stop('SIGTERM')).toBe(0);
      }
      const patches = kube.requests.filter((r) => r.method === 'PATCH' && r.path === '/apis/apps/v1/namespaces/crash/deployments/web');
      expect(patches).toHaveLength(1);
      expect(kube.getDeployment('crash', 'web')?.spec.template.spec.containers[0]?.image).toBe('registry.example/web:2.0.0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
