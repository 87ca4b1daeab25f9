/**
 * A pipeline run of a blocked image (issue 24), through the real HTTP stack on PostgreSQL with the fake
 * Kubernetes API for the canary (no Prometheus, no runner: a refused run never gets that far). Refused with
 * 409 `image-blocked` naming the block and the stage, as POST /v1/promotions is, with nothing stored; an
 * image given and an image read from the canary alike.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { samplePolicy, startTestService, type TestService } from '../fixtures/service.js';
import { fakeKubeClient } from '../fixtures/engine.js';

const ADMIN = 'blocked-runs-admin-secret-0123456';
const BLOCKED = 'registry.example/zai-proxy:1.2.1';
const CANARY_IMAGE = 'registry.example/zai-proxy:1.2.1-canary';

// On PostgreSQL and on the embedded database a newcomer runs.
describe.each(['postgres', 'pglite'] as const)('pipeline runs of a blocked image (%s)', (engine) => {
  let kube: FakeKube;
  let svc: TestService;
  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    svc.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN}` }, ...(payload === undefined ? {} : { payload }) });
  const block = async (body: Record<string, unknown>) => {
    const response = await call('POST', '/v1/blocked-images', body);
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string; image: string; reason: string };
  };
  const lift = async (id: string) => expect((await call('DELETE', `/v1/blocked-images/${id}?reason=fixed`)).statusCode).toBe(200);
  const runCount = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM pipeline_runs`.execute(svc.database.handle.db)).rows[0]?.n);
  const run = (pipeline: string, body: Record<string, unknown>) => call('POST', `/v1/pipelines/${pipeline}/runs`, body);
  /** Two stages, staging then prod, in `<name>-staging` and `<name>-prod`. */
  const putPipeline = async (name: string) => {
    const stage = (stageName: string) => ({ name: stageName, target: { namespace: `${name}-${stageName}`, deployment: 'zai-proxy', container: 'proxy' }, policy: 'default' });
    const response = await call('PUT', `/v1/pipelines/${name}`, { stages: [stage('staging'), stage('prod')] });
    expect(response.statusCode, response.body).toBe(201);
  };

  beforeAll(async () => {
    kube = await startFakeKube();
    kube.addDeployment({ namespace: 'canary-staging', name: 'zai-proxy-canary', containers: [{ name: 'proxy', image: CANARY_IMAGE }], replicas: 1 });
    svc = await startTestService({ engine, apiTokens: [{ name: 'alice', role: 'admin', namespaces: undefined, secret: ADMIN }], kube: fakeKubeClient(kube) });
    expect((await call('PUT', '/v1/policies/default', samplePolicy())).statusCode).toBe(201);
    for (const name of ['given', 'scoped', 'canary']) await putPipeline(name);
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    await kube?.close();
  });

  it('refuses a run whose image a block matches in a later stage: 409 image-blocked naming the block (id, image, reason) and the stage; no run is stored; lifted, the block refuses nothing', async () => {
    const blocked = await block({ image: BLOCKED, reason: 'leaks memory (INC-7)', namespace: 'given-prod' });
    const before = await runCount();
    const refused = await run('given', { image: BLOCKED, reason: 'release 1.2.1' });
    assertMatchesSpec('createPipelineRun', refused);
    expect(refused.statusCode).toBe(409);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    const problem = refused.json();
    expect(problem).toMatchObject({ type: 'urn:promoter:problem:image-blocked', code: 'image-blocked', status: 409, stage: 'prod', block: { id: blocked.id, image: BLOCKED, reason: 'leaks memory (INC-7)' } });
    for (const part of [blocked.id, BLOCKED, 'leaks memory (INC-7)', "stage 'prod'", 'given-prod/zai-proxy']) expect(problem.detail).toContain(part);
    expect(await runCount()).toBe(before);
    expect((await call('GET', '/v1/pipelines/given/runs')).json().items).toEqual([]);

    await lift(blocked.id);
    const started = await run('given', { image: BLOCKED, reason: 'release 1.2.1' });
    expect(started.statusCode, started.body).toBe(201);
    expect(await runCount()).toBe(before + 1);
  });

  it('names the first stage in order when a global block matches every stage', async () => {
    const everywhere = await block({ image: 'registry.example/zai-proxy:6.6.6', reason: 'compromised build' });
    const refused = await run('given', { image: 'registry.example/zai-proxy:6.6.6' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ stage: 'staging', block: { id: everywhere.id, namespace: null } });
    await lift(everywhere.id);
  });

  it('a block scoped to a namespace no stage promotes into does not refuse the run', async () => {
    await block({ image: 'registry.example/zai-proxy:2.0.0', reason: 'only elsewhere', namespace: 'some-other-namespace' });
    const started = await run('scoped', { image: 'registry.example/zai-proxy:2.0.0' });
    expect(started.statusCode, started.body).toBe(201);
    expect(started.json().image).toBe('registry.example/zai-proxy:2.0.0');
  });

  it('refuses a run from a canary whose image (read at creation, suffix stripped) is blocked: 409 naming the block and the stage; no run is stored', async () => {
    const blocked = await block({ image: BLOCKED, reason: 'leaks memory (INC-8)', namespace: 'canary-staging' });
    const before = await runCount();
    const refused = await run('canary', { source: { namespace: 'canary-staging', deployment: 'zai-proxy-canary', tagSuffixToStrip: '-canary' } });
    assertMatchesSpec('createPipelineRun', refused);
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'image-blocked', stage: 'staging', block: { id: blocked.id, image: BLOCKED, reason: 'leaks memory (INC-8)' } });
    expect(await runCount()).toBe(before);
    await lift(blocked.id);
    const started = await run('canary', { source: { namespace: 'canary-staging', deployment: 'zai-proxy-canary', tagSuffixToStrip: '-canary' } });
    expect(started.statusCode, started.body).toBe(201);
    expect(started.json().image).toBe(BLOCKED);
  });
});
