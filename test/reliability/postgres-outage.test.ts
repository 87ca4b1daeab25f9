/**
 * Postgres outage: the real service process runs on a throwaway PostgreSQL cluster of its own, with a
 * real Prometheus (scraping an exporter this test controls) and the fake Kubernetes API. Six promotions
 * are active (two in their gate, two following a stalled rollout, two baking) when the cluster is stopped
 * (`pg_ctl stop -m fast`, which also terminates the service's open sessions). For a few seconds the
 * test keeps calling the API; then the cluster is started again on the same port.
 *
 * What must hold while it is down: `/readyz` 503, reads and writes 503 problem+json with
 * `code: database-unavailable`, `/healthz` 200, the process alive. After: `/readyz` 200 again, the engine
 * resumes by itself and every promotion reaches its terminal state; no row is lost (counted before and
 * after) and nothing the outage refused was half-written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../services/promoter/src/adapters/db/connection.js';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { startExporter, type Exporter } from '../fixtures/exporter.js';
import type { ServiceProcess } from '../fixtures/process.js';
import { startPrometheus, type PrometheusInstance } from '../fixtures/prometheus.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../fixtures/throwaway-postgres.js';
import { checkResultCounts, eventsOf, patchesOf, report, startService, statusCounts, TERMINAL, until, waitForDbState } from './support.js';

const OLD = 'registry.example/web:1.0.0';
const NEW = 'registry.example/web:2.0.0';
const OUTAGE_MS = 5_000;
const check = { name: 'error-rate', query: 'max(app_error_ratio{variant="{{variant}}"})', max: 0.05 };

interface Probe {
  readonly name: string;
  readonly status: number | string;
  readonly code?: string;
  readonly contentType?: string;
  readonly ms: number;
}

describe('Postgres outage', () => {
  let pgCluster: ThrowawayPostgres;
  let exporter: Exporter;
  let prometheus: PrometheusInstance;
  let kube: FakeKube;
  let dir: string;
  let service: ServiceProcess | undefined;
  /** The test's own connection to the cluster, to count rows (its pool reconnects after the restart). */
  let db: DatabaseHandle | undefined;

  beforeAll(async () => {
    [pgCluster, exporter, kube] = await Promise.all([startThrowawayPostgres(), startExporter(), startFakeKube()]);
    for (const variant of ['canary', 'production']) exporter.set('app_error_ratio', { variant }, 0.01);
    prometheus = await startPrometheus({ targets: [exporter.target] });
    dir = mkdtempSync(join(tmpdir(), 'promoter-pg-outage-'));
    await kube.writeKubeconfig(join(dir, 'kubeconfig'));
    const env = {
      DATABASE_URL: pgCluster.url,
      PROMETHEUS_URL: prometheus.url,
      KUBECONFIG: join(dir, 'kubeconfig'),
      PROMOTER_ENGINE_LEASE_MS: '2000',
      PROMOTER_ENGINE_POLL_MS: '100',
    };
    // The service migrates the empty cluster; meanwhile Prometheus gets its first samples (~7 s).
    [service] = await Promise.all([startService(env), prometheus.waitForSeries('app_error_ratio{variant="production"}', undefined, 30_000)]);
    db = await openDatabase({ databaseUrl: pgCluster.url, poolSize: 2 });
  }, 90_000);

  afterAll(async () => {
    if (service) await service.stop('SIGKILL');
    await db?.close().catch(() => undefined);
    await pgCluster?.destroy();
    await prometheus?.stop();
    await kube?.close();
    await exporter?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const counts = async () => {
    const kdb = (db as DatabaseHandle).db;
    const count = async (table: 'promotions' | 'promotion_events' | 'check_results' | 'policies' | 'policy_versions') =>
      Number((await kdb.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    return {
      promotions: await count('promotions'),
      events: await count('promotion_events'),
      checkResults: await count('check_results'),
      policies: await count('policies'),
      policyVersions: await count('policy_versions'),
    };
  };

  it('answers 503 problem+json while the database is down, stays alive, and finishes every promotion after it returns', async () => {
    const svc = service as ServiceProcess;
    const kdb = (db as DatabaseHandle).db;
    const api = (path: string, init: RequestInit = {}) => fetch(`${svc.url}${path}`, init);
    const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const policies = {
      'pg-gate': { interval: '1s', bake: '1s', checks: [{ ...check, samples: 12 }] },
      'pg-rollout': { interval: '1s', bake: '1s', rolloutTimeout: '2m', checks: [check] },
      'pg-bake': { interval: '1s', bake: '20s', checks: [check] },
    };
    for (const [name, policy] of Object.entries(policies)) {
      expect((await api(`/v1/policies/${name}`, { ...json(policy), method: 'PUT' })).status).toBe(201);
    }
    const plan = [
      { namespace: 'pg-gate-0', policy: 'pg-gate', expect: 'analyzing' },
      { namespace: 'pg-gate-1', policy: 'pg-gate', expect: 'analyzing' },
      { namespace: 'pg-roll-0', policy: 'pg-rollout', expect: 'promoting' },
      { namespace: 'pg-roll-1', policy: 'pg-rollout', expect: 'promoting' },
      { namespace: 'pg-bake-0', policy: 'pg-bake', expect: 'verifying' },
      { namespace: 'pg-bake-1', policy: 'pg-bake', expect: 'verifying' },
    ] as const;
    const ids: Record<string, string> = {};
    for (const { namespace, policy } of plan) {
      kube.addDeployment({ namespace, name: 'web', containers: [{ name: 'app', image: OLD }], replicas: 2, ...(policy === 'pg-rollout' ? { rollout: { stall: true } } : {}) });
      const created = await api('/v1/promotions', json({ target: { namespace, deployment: 'web', container: 'app' }, image: NEW, policy, reason: 'postgres outage' }));
      expect(created.status, await created.clone().text()).toBe(201);
      ids[namespace] = ((await created.json()) as { id: string }).id;
    }
    kube.addDeployment({ namespace: 'pg-late', name: 'web', containers: [{ name: 'app', image: OLD }] });
    for (const { namespace, expect: state } of plan) {
      const id = ids[namespace] as string;
      await waitForDbState(kdb, id, [state], 30_000, async () => {
        if (state === 'analyzing') return ((await checkResultCounts(kdb, id))['pre:pass'] ?? 0) >= 1;
        if (state === 'promoting') return patchesOf(kube, namespace, 'web').some((p) => p.status === 200);
        return true;
      });
    }
    const before = await counts();
    const statesAtStop = Object.fromEntries(await Promise.all(plan.map(async ({ namespace }) => [namespace, (await waitForDbState(kdb, ids[namespace] as string, [...TERMINAL, 'analyzing', 'promoting', 'verifying'], 1)).state])));

    // --- the outage ---
    const stopAt = Date.now();
    await pgCluster.stop('fast');
    const stopMs = Date.now() - stopAt;
    const probes: Probe[] = [];
    const probe = async (name: string, path: string, init: RequestInit = {}) => {
      const start = Date.now();
      try {
        const response = await api(path, init);
        const text = await response.text();
        let code: string | undefined;
        try {
          code = (JSON.parse(text) as { code?: string }).code;
        } catch {
          code = undefined;
        }
        probes.push({ name, status: response.status, ...(code ? { code } : {}), contentType: response.headers.get('content-type') ?? '', ms: Date.now() - start });
      } catch (error) {
        probes.push({ name, status: `error:${(error as { cause?: { code?: string } }).cause?.code ?? String(error)}`, ms: Date.now() - start });
      }
    };
    const anyId = ids['pg-bake-0'] as string;
    let rounds = 0;
    while (Date.now() - stopAt < OUTAGE_MS) {
      rounds += 1;
      await probe('healthz', '/healthz');
      await probe('readyz', '/readyz');
      await probe('list', '/v1/promotions');
      await probe('get', `/v1/promotions/${anyId}`);
      await probe('events', `/v1/promotions/${anyId}/events`);
      await probe('policies', '/v1/policies');
      await probe('create', '/v1/promotions', json({ target: { namespace: 'pg-late', deployment: 'web', container: 'app' }, image: NEW, policy: 'pg-bake' }));
      await probe('abort', `/v1/promotions/${anyId}/abort`, json({ reason: 'during the outage' }));
      await probe('put-policy', '/v1/policies/pg-outage', { ...json(policies['pg-bake']), method: 'PUT' });
    }
    const aliveDuringOutage = svc.child.exitCode === null && svc.child.signalCode === null;

    // --- recovery ---
    const startAt = Date.now();
    await pgCluster.start();
    const restartMs = Date.now() - startAt;
    let readyAfterMs = -1;
    // If the service died during the outage, say how (its own last lines), not only "connection refused".
    const died = () => `the service stopped answering; its last output:\n${service?.output().slice(-4000) ?? ''}`;
    await until(async () => {
      const ready = (await api('/readyz').catch((error: unknown) => {
        throw new Error(died(), { cause: error });
      })).status === 200;
      if (ready) readyAfterMs = Date.now() - startAt;
      return ready;
    }, '/readyz to answer 200 again', 30_000, 100);
    // Now the rollouts may finish.
    for (const { namespace, policy } of plan) if (policy === 'pg-rollout') kube.setRollout(namespace, 'web', { stall: false });
    const finals: Record<string, string> = {};
    for (const { namespace } of plan) {
      const id = ids[namespace] as string;
      const done = await waitForDbState(kdb, id, TERMINAL, 60_000);
      finals[namespace] = done.state;
      expect(done.state, `${namespace}:\n${(await eventsOf(kdb, id)).join('\n')}`).toBe('succeeded');
      expect(statusCounts(patchesOf(kube, namespace, 'web')), namespace).toEqual({ '200': 1 });
    }
    const after = await counts();
    // The engine's first step after the restart (a measurement or an event).
    const firstStepAfter = await kdb
      .selectFrom('check_results')
      .select((eb) => eb.fn.min('measured_at').as('t'))
      .where('measured_at', '>', new Date(startAt))
      .executeTakeFirst();
    const lateTarget = await kdb.selectFrom('promotions').select((eb) => eb.fn.countAll().as('n')).where('namespace', '=', 'pg-late').executeTakeFirstOrThrow();

    // --- figures ---
    const byEndpoint: Record<string, Record<string, number>> = {};
    for (const p of probes) {
      const key = `${p.status}${p.code ? ` ${p.code}` : ''}`;
      const entry = (byEndpoint[p.name] ??= {});
      entry[key] = (entry[key] ?? 0) + 1;
    }
    const maxMs = Math.max(...probes.map((p) => p.ms));
    report('postgres-outage', {
      statesAtStop,
      rowsBefore: before,
      pgStopMs: stopMs,
      outageMs: startAt - stopAt,
      probeRounds: rounds,
      requests: probes.length,
      byEndpoint,
      slowestAnswerMs: maxMs,
      processAliveDuringOutage: aliveDuringOutage,
      pgStartMs: restartMs,
      readyzOkAfterRestartMs: readyAfterMs,
      firstEngineMeasurementAfterRestartMs: firstStepAfter?.t ? new Date(firstStepAfter.t).getTime() - startAt : null,
      finalStates: finals,
      rowsAfter: after,
      promotionsCreatedDuringOutage: Number(lateTarget.n),
    });

    // --- what must hold ---
    expect(aliveDuringOutage).toBe(true);
    const of = (name: string) => probes.filter((p) => p.name === name);
    expect(of('healthz').every((p) => p.status === 200)).toBe(true);
    for (const name of ['readyz', 'list', 'get', 'events', 'policies', 'create', 'abort', 'put-policy']) {
      const answers = of(name);
      expect(answers.length, name).toBeGreaterThan(0);
      for (const p of answers) {
        expect({ name, status: p.status, code: p.code, problem: p.contentType?.startsWith('application/problem+json') }).toEqual({
          name,
          status: 503,
          code: 'database-unavailable',
          problem: true,
        });
      }
    }
    expect(after.promotions).toBe(before.promotions); // none lost, none half-created by the refused POSTs
    expect(Number(lateTarget.n)).toBe(0);
    expect(after.policies).toBe(before.policies); // the refused PUT stored nothing
    expect(after.policyVersions).toBe(before.policyVersions); // nor a version of an existing policy
    expect(after.checkResults).toBeGreaterThan(before.checkResults); // the engine measured again after the restart
    expect(after.events).toBeGreaterThan(before.events);
  }, 90_000);
});
