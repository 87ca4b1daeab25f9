/**
 * Several named clusters end to end (issue 24): the service as main.ts builds it, from a real
 * PROMOTER_CLUSTERS_FILE naming two fake Kubernetes API servers (`staging`, `apexalgo-iad`, each with the
 * same Deployment mcp/web) and a third (`spare`) whose server is stopped; real PostgreSQL, real Prometheus,
 * the engine running. A promotion patches only its own cluster; the same Deployment may have an active
 * promotion in each cluster; a token scoped to `@staging` sees and acts only there; a freeze scoped to one
 * cluster holds only that cluster's promotions; /readyz and the metrics report each cluster.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil, startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { Clusters } from '../../services/promoter/src/adapters/kubernetes/clusters.js';
import { loadConfig } from '../../services/promoter/src/config.js';
import { createService, type Service } from '../../services/promoter/src/service.js';
import { cli } from '../cli/run-cli.js';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { createTestDatabase, type TestDatabase } from '../fixtures/database.js';
import { CANARY_IMAGE, ERROR_RATIO_QUERY, PRODUCTION_IMAGE, startRunbookStack, type RunbookStack } from '../fixtures/runbook-stack.js';
import { fakeKubeClient } from '../fixtures/engine.js';

const POLICY = { interval: '1s', bake: '2s', rolloutTimeout: '5s', checks: [{ name: 'error-rate', phases: ['pre', 'rollout', 'post'], query: ERROR_RATIO_QUERY, max: 0.05 }] };
const SECRETS = { root: 'root-admin-secret-0123456789', staging: 'staging-admin-secret-012345' };
const TERMINAL = ['succeeded', 'rejected', 'rolled_back', 'aborted', 'failed'];

describe('several clusters', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promoter-clusters-'));
  let stack: RunbookStack;
  let iad: FakeKube;
  let spare: FakeKube;
  let database: TestDatabase;
  let service: Service;

  const call = (who: keyof typeof SECRETS, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<LightMyRequestResponse> =>
    service.app.inject({ method, url, headers: { authorization: `Bearer ${SECRETS[who]}` }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

  const promote = async (who: keyof typeof SECRETS, target: Record<string, unknown>, image: string) =>
    call(who, 'POST', '/v1/promotions', { target: { namespace: 'mcp', deployment: 'web', container: 'app', ...target }, image, policy: 'web' });

  const waitForEnd = async (id: string): Promise<Record<string, unknown> & { state: string }> => {
    const deadline = Date.now() + 45_000;
    for (;;) {
      const detail = (await call('root', 'GET', `/v1/promotions/${id}`)).json();
      if (TERMINAL.includes(detail.state)) return detail;
      if (Date.now() > deadline) throw new Error(`promotion ${id} still ${detail.state}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const imageIn = (kube: FakeKube) => kube.getDeployment('mcp', 'web')?.spec.template.spec.containers[0]?.image;
  const patchesIn = (kube: FakeKube) => kube.requests.filter((r) => r.method === 'PATCH' && r.path === '/apis/apps/v1/namespaces/mcp/deployments/web').length;

  beforeAll(async () => {
    stack = await startRunbookStack({ namespaces: ['mcp'], deployments: 'production' });
    iad = await startFakeKube();
    // Only iad's pods carry `region`: a check reading {{labels.region}} measures only in that cluster.
    iad.addDeployment({ namespace: 'mcp', name: 'web', containers: [{ name: 'app', image: PRODUCTION_IMAGE }], replicas: 3, selector: { app: 'web', region: 'iad' } });
    spare = await startFakeKube();
    await stack.kube.writeKubeconfig(join(dir, 'staging.yaml'));
    await iad.writeKubeconfig(join(dir, 'iad.yaml'));
    await spare.writeKubeconfig(join(dir, 'spare.yaml'));
    await spare.close(); // its server is gone: /readyz must say so
    writeFileSync(
      join(dir, 'clusters.yaml'),
      [
        'default: staging',
        'clusters:',
        '  - { name: staging, kubeconfig: staging.yaml }', // relative to the file
        `  - { name: apexalgo-iad, kubeconfig: ${join(dir, 'iad.yaml')}, context: fake-kube }`,
        '  - { name: spare, kubeconfig: spare.yaml }',
        '',
      ].join('\n'),
    );
    database = await createTestDatabase();
    const config = loadConfig({
      PROMOTER_CLUSTERS_FILE: join(dir, 'clusters.yaml'),
      PROMETHEUS_URL: stack.prometheus.url,
      PROMOTER_API_TOKENS: `root:admin:${SECRETS.root},stagingadmin:admin:@staging:${SECRETS.staging}`,
      PROMOTER_ENGINE_POLL_MS: '50',
      PROMOTER_RATE_LIMIT: '0',
      LOG_LEVEL: 'warn',
    });
    service = await createService(config, { database: database.handle, engine: { rolloutPollMs: 100 } });
    await service.app.ready();
    service.engine?.start();
    expect((await call('root', 'PUT', '/v1/policies/web', POLICY)).statusCode).toBe(201);
  }, 90_000);

  afterAll(async () => {
    await service?.close();
    await database?.drop();
    await iad?.close();
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('patches the Deployment in the promotion\'s cluster only, and says which cluster in its answer', async () => {
    const created = await promote('root', { cluster: 'apexalgo-iad' }, 'registry.example/web:2.0.0');
    assertMatchesSpec('createPromotion', created);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().target).toEqual({ cluster: 'apexalgo-iad', namespace: 'mcp', deployment: 'web', container: 'app' });
    const done = await waitForEnd(created.json().id);
    expect(done.state, JSON.stringify(done.stateReason)).toBe('succeeded');
    expect(imageIn(iad)).toBe('registry.example/web:2.0.0');
    expect(patchesIn(iad)).toBeGreaterThan(0);
    expect(imageIn(stack.kube)).toBe(PRODUCTION_IMAGE);
    expect(patchesIn(stack.kube)).toBe(0);
  }, 60_000);

  it('runs one active promotion per cluster for the same Deployment at once, and still refuses a second in one cluster', async () => {
    const inStaging = await promote('root', { cluster: 'staging' }, 'registry.example/web:3.0.0-staging');
    const inIad = await promote('root', { cluster: 'apexalgo-iad' }, 'registry.example/web:3.0.0-iad');
    expect(inStaging.statusCode, inStaging.body).toBe(201);
    expect(inIad.statusCode, inIad.body).toBe(201);
    const again = await promote('root', {}, CANARY_IMAGE); // no cluster: the default, staging, which is busy
    assertMatchesSpec('createPromotion', again);
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toContain("in cluster 'staging'");
    const [a, b] = await Promise.all([waitForEnd(inStaging.json().id), waitForEnd(inIad.json().id)]);
    expect([a.state, b.state]).toEqual(['succeeded', 'succeeded']);
    expect(imageIn(stack.kube)).toBe('registry.example/web:3.0.0-staging');
    expect(imageIn(iad)).toBe('registry.example/web:3.0.0-iad');
  }, 60_000);

  it('answers 422 naming target.cluster and the configured clusters for an unknown cluster', async () => {
    const response = await promote('root', { cluster: 'nowhere' }, 'registry.example/web:9.9.9');
    assertMatchesSpec('createPromotion', response);
    expect(response.statusCode).toBe(422);
    const [error] = response.json().errors;
    expect(error.pointer).toBe('/body/target/cluster');
    expect(error.detail).toContain("'staging', 'apexalgo-iad', 'spare'");
    expect(error.detail).toContain("'nowhere'");
    // A malformed name is refused by the contract, before any lookup.
    const malformed = await promote('root', { cluster: 'Not_A_Label' }, 'registry.example/web:9.9.9');
    expect(malformed.statusCode).toBe(422);
    expect(malformed.json().errors[0].pointer).toBe('/body/target/cluster');
  });

  it('lets a token scoped to @staging see and act only in staging', async () => {
    const list = await call('root', 'GET', '/v1/promotions?limit=50');
    const all = list.json().items as Array<{ id: string; target: { cluster: string } }>;
    const iadOne = all.find((p) => p.target.cluster === 'apexalgo-iad');
    const stagingOne = all.find((p) => p.target.cluster === 'staging');
    if (!iadOne || !stagingOne) throw new Error('the earlier tests left no promotion in each cluster');

    const me = await call('staging', 'GET', '/v1/me');
    expect(me.json()).toMatchObject({ name: 'stagingadmin', namespaces: null, clusters: ['staging'] });

    // Reads: another cluster's promotion is answered as a missing one; lists and the feed leave it out.
    const hidden = await call('staging', 'GET', `/v1/promotions/${iadOne.id}`);
    const missing = await call('staging', 'GET', '/v1/promotions/00000000-0000-4000-8000-000000000000');
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json().code).toBe(missing.json().code);
    expect((await call('staging', 'GET', `/v1/promotions/${iadOne.id}/events`)).statusCode).toBe(404);
    expect((await call('staging', 'GET', `/v1/promotions/${stagingOne.id}`)).statusCode).toBe(200);
    const scopedList = (await call('staging', 'GET', '/v1/promotions?limit=50')).json().items as Array<{ target: { cluster: string } }>;
    expect(scopedList.length).toBeGreaterThan(0);
    expect(scopedList.every((p) => p.target.cluster === 'staging')).toBe(true);
    expect((await call('staging', 'GET', '/v1/promotions?cluster=apexalgo-iad')).json().items).toEqual([]);
    expect((await call('root', 'GET', '/v1/promotions?cluster=apexalgo-iad')).json().items.length).toBeGreaterThan(0);
    const feed = (await call('staging', 'GET', '/v1/events')).json().items as Array<{ promotion: { target: { cluster: string } } }>;
    expect(feed.length).toBeGreaterThan(0);
    expect(feed.every((entry) => entry.promotion.target.cluster === 'staging')).toBe(true);
    expect((await call('staging', 'POST', `/v1/promotions/${iadOne.id}/rollback`, {})).statusCode).toBe(404);

    // Creating: another cluster (known or not) is a 403; its own (named or the default) is allowed past the scope.
    const elsewhere = await promote('staging', { cluster: 'apexalgo-iad' }, 'registry.example/web:4.0.0');
    assertMatchesSpec('createPromotion', elsewhere);
    expect(elsewhere.statusCode).toBe(403);
    expect((await promote('staging', { cluster: 'nowhere' }, 'registry.example/web:4.0.0')).statusCode).toBe(403);
    const dry = await call('staging', 'POST', '/v1/promotions', {
      target: { namespace: 'mcp', deployment: 'web', container: 'app' },
      image: 'registry.example/web:4.0.0',
      policy: 'web',
      dryRun: true,
    });
    expect(dry.statusCode, dry.body).toBe(201);
    expect(dry.json().target.cluster).toBe('staging');
    await waitForEnd(dry.json().id);

    // Tokens it mints stay within its clusters.
    const wider = await call('staging', 'POST', '/v1/tokens', { name: 'wider', role: 'viewer' });
    expect(wider.statusCode).toBe(403);
    expect((await call('staging', 'POST', '/v1/tokens', { name: 'iad-viewer', role: 'viewer', clusters: ['apexalgo-iad'] })).statusCode).toBe(403);
    const minted = await call('staging', 'POST', '/v1/tokens', { name: 'staging-viewer', role: 'viewer', clusters: ['staging'] });
    assertMatchesSpec('createToken', minted);
    expect(minted.statusCode, minted.body).toBe(201);
    expect(minted.json().clusters).toEqual(['staging']);
    const viewer = (url: string) => service.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${minted.json().secret}` } });
    expect((await viewer(`/v1/promotions/${iadOne.id}`)).statusCode).toBe(404);
    expect((await viewer(`/v1/promotions/${stagingOne.id}`)).statusCode).toBe(200);
    const tokens = (await call('staging', 'GET', '/v1/tokens')).json().items as Array<{ name: string }>;
    expect(tokens.map((t) => t.name).sort()).toEqual(['staging-viewer', 'stagingadmin']);
  }, 60_000);

  it('promoter promote --cluster starts the promotion there; list and status show the cluster', async () => {
    const url = await service.app.listen({ port: 0, host: '127.0.0.1' });
    const env = { PROMOTER_TOKEN: SECRETS.root };
    const args = ['-n', 'mcp', '-d', 'web', '-c', 'app', '--image', 'registry.example/web:5.0.0', '--policy', 'web', '--dry-run'];
    const started = await cli(['promote', '--cluster', 'apexalgo-iad', ...args, '--json'], { url, env });
    expect(started.code, started.stderr).toBe(0);
    const promotion = started.json<{ id: string; target: { cluster: string } }>();
    expect(promotion.target.cluster).toBe('apexalgo-iad');
    await waitForEnd(promotion.id);
    const unknown = await cli(['promote', '--cluster', 'nowhere', ...args], { url, env });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("no cluster is named 'nowhere'");
    const list = await cli(['list', '--cluster', 'apexalgo-iad'], { url, env });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/ID\s+STATE\s+CLUSTER\s+TARGET/);
    expect(list.stdout).toContain(promotion.id);
    expect(list.stdout.split('\n').filter((line) => line.includes('staging'))).toEqual([]);
    const status = await cli(['status', promotion.id], { url, env });
    expect(status.stdout).toContain('mcp/web (container app) in cluster apexalgo-iad');
  }, 60_000);

  it('reads {{labels.*}} from the promotion\'s cluster', async () => {
    // The series have no `region` label, so `region!="iad"` matches them: the check passes when the label is read.
    const labelled = { ...POLICY, checks: [{ name: 'error-rate', phases: ['pre'], query: 'max(app_error_ratio{namespace="{{namespace}}",variant="production",region!="{{labels.region}}"})', max: 0.05 }] };
    expect((await call('root', 'PUT', '/v1/policies/labelled', labelled)).statusCode).toBe(201);
    const dryRun = (cluster: string) =>
      call('root', 'POST', '/v1/promotions', { target: { cluster, namespace: 'mcp', deployment: 'web', container: 'app' }, image: 'registry.example/web:6.0.0', policy: 'labelled', dryRun: true });
    const inIad = await waitForEnd((await dryRun('apexalgo-iad')).json().id);
    const inStaging = await waitForEnd((await dryRun('staging')).json().id);
    const results = (detail: Record<string, unknown>) => detail.checkResults as Array<{ result: string; query: string | null; message: string }>;
    expect(inIad.verdict).toBe('pass');
    expect(results(inIad)[0]?.query).toContain('region!="iad"');
    // staging's Deployment has no such label: the measurement says so instead of borrowing iad's.
    expect(results(inStaging)[0]?.result).toBe('error');
    expect(results(inStaging)[0]?.message).toContain("has no pod-template label 'region'");
  }, 60_000);

  it('a freeze scoped to clusters [apexalgo-iad] holds a promotion into apexalgo-iad in frozen, naming it, and not one into staging', async () => {
    const until = new Date(Date.now() + 600_000).toISOString();
    const freeze = await call('root', 'PUT', '/v1/freezes/iad-only', { window: { start: new Date(Date.now() - 1_000).toISOString(), end: until }, scope: { clusters: ['apexalgo-iad'] }, reason: 'iad maintenance' });
    expect(freeze.statusCode, freeze.body).toBe(201);
    const patchesBefore = patchesIn(iad);
    const inIad = await promote('root', { cluster: 'apexalgo-iad' }, 'registry.example/web:7.0.0');
    const inStaging = await promote('root', { cluster: 'staging' }, 'registry.example/web:7.0.0');
    expect([inIad.statusCode, inStaging.statusCode], inIad.body + inStaging.body).toEqual([201, 201]);
    const held = await pollUntil(
      async () => {
        const detail = (await call('root', 'GET', `/v1/promotions/${inIad.json().id}`)).json();
        return detail.state === 'frozen' || TERMINAL.includes(detail.state) ? detail : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50, what: 'the apexalgo-iad promotion to be held' },
    );
    expect(held).toMatchObject({ state: 'frozen', hold: { freeze: 'iad-only', reason: 'iad maintenance', until } });
    const passed = await waitForEnd(inStaging.json().id);
    expect(passed.state, JSON.stringify(passed.stateReason)).toBe('succeeded');
    expect((passed.events as Array<{ to: string | null }>).some((event) => event.to === 'frozen')).toBe(false);
    expect(imageIn(stack.kube)).toBe('registry.example/web:7.0.0');
    // Still held after staging's whole promotion, and nothing was patched in apexalgo-iad.
    expect((await call('root', 'GET', `/v1/promotions/${inIad.json().id}`)).json().state).toBe('frozen');
    expect(patchesIn(iad)).toBe(patchesBefore);
    // Leaves no active promotion or freeze behind for the tests after this one.
    expect((await call('root', 'POST', `/v1/promotions/${inIad.json().id}/abort`, { reason: 'freeze test done' })).statusCode).toBeLessThan(300);
    expect((await waitForEnd(inIad.json().id)).state).toBe('aborted');
    expect((await call('root', 'DELETE', '/v1/freezes/iad-only')).statusCode).toBeLessThan(300);
  }, 60_000);

  it('reports each cluster in /readyz, naming the stopped one\'s problem, and sets promoter_kubernetes_cluster_up', async () => {
    const ready = await service.app.inject({ method: 'GET', url: '/readyz' });
    assertMatchesSpec('getReadiness', ready);
    expect(ready.statusCode).toBe(200);
    const checks = ready.json().checks as Record<string, string>;
    expect(checks).toMatchObject({ database: 'ok', 'cluster:staging': 'ok', 'cluster:apexalgo-iad': 'ok' });
    expect(checks['cluster:spare']).toMatch(/cannot be reached.*ECONNREFUSED/);
    const metrics = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('promoter_kubernetes_cluster_up{cluster="staging"} 1');
    expect(metrics).toContain('promoter_kubernetes_cluster_up{cluster="apexalgo-iad"} 1');
    expect(metrics).toContain('promoter_kubernetes_cluster_up{cluster="spare"} 0');
    // The probe is the API server's /version, asked with the cluster's credentials.
    expect(iad.requests.some((r) => r.method === 'GET' && r.path === '/version' && r.status === 200)).toBe(true);
 
    // An API server that does not answer at all is given up on at the readiness timeout (2 s): the answer
    // stays 200 and names the problem, and the gauge drops to 0. The bound tells "given up" from "waits for
    // the hung server" (forever), with room for a loaded machine's timers: not a speed.
    iad.hangNext({ method: 'GET', path: '/version' });
    const started = Date.now();
    const slow = await service.app.inject({ method: 'GET', url: '/readyz' });
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(slow.statusCode).toBe(200);
    expect(slow.json().checks['cluster:apexalgo-iad']).toMatch(/cannot be reached/);
    expect(slow.json().checks['cluster:staging']).toBe('ok');
    // The hung request was torn down, not just left waiting.
    await pollUntil(() => iad.requests.some((r) => r.path === '/version' && r.fault === 'hang' && r.closedByClient), { what: 'the aborted probe' });
    expect((await service.app.inject({ method: 'GET', url: '/metrics' })).body).toContain('promoter_kubernetes_cluster_up{cluster="apexalgo-iad"} 0');
    // Back: the next check sees it again.
    expect((await service.app.inject({ method: 'GET', url: '/readyz' })).json().checks['cluster:apexalgo-iad']).toBe('ok');
  });
});

describe('choosing the cluster of a new promotion', () => {
  let kube: FakeKube;
  let database: TestDatabase;
  const services: Service[] = [];

  beforeAll(async () => {
    kube = await startFakeKube();
    kube.addDeployment({ namespace: 'mcp', name: 'web', containers: [{ name: 'app', image: PRODUCTION_IMAGE }], replicas: 1 });
    database = await createTestDatabase();
  });
  afterAll(async () => {
    for (const service of services) await service.close();
    await database?.drop();
    await kube?.close();
  });

  const start = async (parts: Parameters<typeof createService>[1]): Promise<Service> => {
    const service = await createService(loadConfig({ PROMOTER_ENGINE: 'off', LOG_LEVEL: 'silent' }), { database: database.handle, ...parts });
    services.push(service);
    await service.app.ready();
    expect((await service.app.inject({ method: 'PUT', url: '/v1/policies/web', payload: POLICY })).statusCode).toBeLessThan(300);
    return service;
  };
  const create = (service: Service, target: Record<string, unknown>) =>
    service.app.inject({
      method: 'POST',
      url: '/v1/promotions',
      payload: { target: { namespace: 'mcp', deployment: 'web', container: 'app', ...target }, image: 'registry.example/web:2.0.0', policy: 'web', dryRun: true },
    });

  it('with one cluster and none named, works as before: the cluster is `default`, and naming it is the same target', async () => {
    const service = await start({ kube: fakeKubeClient(kube) });
    const first = await create(service, {});
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json().target.cluster).toBe('default');
    const named = await create(service, { cluster: 'default' });
    expect(named.statusCode).toBe(409); // the same target, already active (nothing runs the dry run here)
    const other = await create(service, { cluster: 'staging' });
    expect(other.statusCode).toBe(422);
    expect(other.json().errors).toEqual([{ pointer: '/body/target/cluster', detail: "no cluster is named 'staging'; configured: 'default'" }]);
    // The target is checked in the cluster: a missing Deployment is named as before.
    expect((await create(service, { deployment: 'nope' })).json().errors[0]).toMatchObject({ pointer: '/body/target/deployment' });
    await service.app.inject({ method: 'POST', url: `/v1/promotions/${first.json().id}/abort`, payload: {} });
  });

  it('with several clusters and no default, asks for target.cluster', async () => {
    const client = fakeKubeClient(kube);
    const service = await start({ clusters: new Clusters([{ name: 'east', client }, { name: 'west', client }], undefined) });
    const unnamed = await create(service, {});
    assertMatchesSpec('createPromotion', unnamed);
    expect(unnamed.statusCode).toBe(422);
    expect(unnamed.json().errors).toEqual([{ pointer: '/body/target/cluster', detail: "this service has several clusters and no default: name one ('east', 'west')" }]);
    const named = await create(service, { cluster: 'west' });
    expect(named.statusCode, named.body).toBe(201);
    expect(named.json().target.cluster).toBe('west');
    await service.app.inject({ method: 'POST', url: `/v1/promotions/${named.json().id}/abort`, payload: {} });
  });
});
