/**
 * Who did it, for every action besides promotions (issue 25, migration 0017): blocks and their lifting,
 * freezes, a freeze override, pipelines and a run's abort, policies and API tokens record the identity of
 * the caller beside its display name. A workload (a JWT of a loopback issuer) is recorded with its kind,
 * issuer and subject; a static token as `token:<name>`. Through the real HTTP stack on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIdentityConfig } from '../../services/promoter/src/adapters/identity/identity-config.js';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { startJwtIssuer, type JwtIssuer } from '../fixtures/jwt-issuer.js';
import { samplePolicy, samplePromotion, startTestService, type TestService } from '../fixtures/service.js';
import { cli } from '../cli/run-cli.js';

const ADMIN = { name: 'root', role: 'admin' as const, secret: 'action-identities-admin-secret-01', namespaces: undefined };
const PLATFORM = { repository: 'org/platform', ref: 'refs/heads/main', sub: 'repo:org/platform:ref:refs/heads/main' };
const ROOT_IDENTITY = { kind: 'token', key: 'token:root', subject: 'root', displayName: 'root' };

// On PostgreSQL and on the embedded database a newcomer runs: the identity columns are jsonb on both.
describe.each(['postgres', 'pglite'] as const)('who did it: the identity recorded beside each action (%s)', (engine) => {
  let github: JwtIssuer;
  let svc: TestService;
  let workload: Record<string, unknown>;

  const call = (token: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    svc.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
  const asWorkload = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => call(await github.sign(PLATFORM), method, url, payload);

  beforeAll(async () => {
    github = await startJwtIssuer();
    // One trusted issuer whose org/platform jobs are admins (the format of PROMOTER_IDENTITY_FILE, in YAML's flow style).
    const identity = parseIdentityConfig(
      `workloads: [{ issuer: '${github.url}', audience: promoter, nameClaim: repository, rules: [{ claims: { repository: org/platform }, role: admin }] }]`,
      'identity.yaml',
    );
    svc = await startTestService({ engine, listen: true, apiTokens: [ADMIN], identity, failedAuthPerMinute: 0 });
    workload = { kind: 'workload', key: `${github.url}#${PLATFORM.sub}`, subject: PLATFORM.sub, issuer: github.url, displayName: 'org/platform' };
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    await github?.close();
  });

  it('a workload applying a policy is its version\'s createdByIdentity, in the PUT answer and in a later GET', async () => {
    const put = await asWorkload('PUT', '/v1/policies/default', samplePolicy());
    assertMatchesSpec('putPolicy', put);
    expect(put.statusCode, put.body).toBe(201);
    expect(put.json()).toMatchObject({ createdBy: 'org/platform', createdByIdentity: workload });
    const read = await call(ADMIN.secret, 'GET', '/v1/policies/default');
    expect(read.json().createdByIdentity).toEqual(workload);
  });

  it('a workload adding and lifting a block is its createdByIdentity and liftedByIdentity, named with kind and issuer in the refusal; a token adding one is token:root', async () => {
    const added = await asWorkload('POST', '/v1/blocked-images', { image: 'registry.example.com/mcp/zai-proxy:1.2.1', reason: 'leaks memory', namespace: 'mcp' });
    assertMatchesSpec('createBlockedImage', added);
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toMatchObject({ createdBy: 'org/platform', createdByIdentity: workload, liftedByIdentity: null });
    const refused = await call(ADMIN.secret, 'POST', '/v1/promotions', samplePromotion());
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json().detail).toContain(`by org/platform (workload, ${github.url}) at`);
    const lifted = await asWorkload('DELETE', `/v1/blocked-images/${added.json().id}?reason=fixed`);
    assertMatchesSpec('liftBlockedImage', lifted);
    expect(lifted.json()).toMatchObject({ liftedBy: 'org/platform', liftedByIdentity: workload });

    const byToken = await call(ADMIN.secret, 'POST', '/v1/blocked-images', { image: 'registry.example.com/mcp/zai-proxy:1.2.9', reason: 'bad build' });
    expect(byToken.statusCode, byToken.body).toBe(201);
    expect(byToken.json().createdByIdentity).toEqual(ROOT_IDENTITY);
    const listed = await call(ADMIN.secret, 'GET', '/v1/blocked-images?state=all');
    assertMatchesSpec('listBlockedImages', listed);
    const identities = Object.fromEntries(listed.json().items.map((b: { image: string; createdByIdentity: unknown }) => [b.image, b.createdByIdentity]));
    expect(identities).toEqual({ 'registry.example.com/mcp/zai-proxy:1.2.1': workload, 'registry.example.com/mcp/zai-proxy:1.2.9': ROOT_IDENTITY });
  });

  it('promoter block list names the workload with its kind and issuer beside the token', async () => {
    const listed = await cli(['block', 'list', '--state', 'all'], { url: svc.url, env: { PROMOTER_TOKEN: ADMIN.secret }, columns: 400 });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`org/platform, workload of ${github.url}`);
    expect(listed.stdout).toContain(`lifted by org/platform, workload of ${github.url} at`);
  });

  it('a workload putting a freeze is its createdByIdentity and updatedByIdentity; a token changing it becomes updatedByIdentity only; promoter freeze get names the last one', async () => {
    const body = { window: { start: '2030-01-01T00:00:00Z', end: '2030-01-02T00:00:00Z' }, scope: { namespaces: ['mcp'] }, reason: 'new year' };
    const put = await asWorkload('PUT', '/v1/freezes/new-year', body);
    assertMatchesSpec('putFreeze', put);
    expect(put.statusCode, put.body).toBe(201);
    expect(put.json()).toMatchObject({ createdByIdentity: workload, updatedByIdentity: workload });
    const changed = await call(ADMIN.secret, 'PUT', '/v1/freezes/new-year', { ...body, reason: 'new year, longer' });
    expect(changed.statusCode, changed.body).toBe(200);
    const read = await call(ADMIN.secret, 'GET', '/v1/freezes/new-year');
    assertMatchesSpec('getFreeze', read);
    expect(read.json()).toMatchObject({ createdBy: 'org/platform', createdByIdentity: workload, updatedBy: 'root', updatedByIdentity: ROOT_IDENTITY });
    // promoter freeze get names who changed it last: the workload, with its kind and issuer, once it puts the freeze again.
    expect((await asWorkload('PUT', '/v1/freezes/new-year', body)).statusCode).toBe(200);
    const shown = await cli(['freeze', 'get', 'new-year'], { url: svc.url, env: { PROMOTER_TOKEN: ADMIN.secret }, columns: 400 });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`(by org/platform, workload of ${github.url})`);
  });

  it('a workload overriding freezes for a promotion is the override\'s byIdentity', async () => {
    const created = await call(ADMIN.secret, 'POST', '/v1/promotions', samplePromotion());
    expect(created.statusCode, created.body).toBe(201);
    const overridden = await asWorkload('POST', `/v1/promotions/${created.json().id}/override-freeze`, { reason: 'hotfix' });
    assertMatchesSpec('overrideFreeze', overridden);
    expect(overridden.statusCode, overridden.body).toBe(200);
    expect(overridden.json().freezeOverride).toMatchObject({ by: 'org/platform', byIdentity: workload, reason: 'hotfix' });
    await call(ADMIN.secret, 'POST', `/v1/promotions/${created.json().id}/abort`, { reason: 'done with it' });
  });

  it('a workload applying a pipeline and aborting its run is the version\'s createdByIdentity and the abort\'s, in the run and its events', async () => {
    const pipeline = { stages: [{ name: 'only', target: { namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy' }, policy: 'default' }] };
    const put = await asWorkload('PUT', '/v1/pipelines/release', pipeline);
    assertMatchesSpec('putPipeline', put);
    expect(put.statusCode, put.body).toBe(201);
    expect(put.json()).toMatchObject({ createdBy: 'org/platform', createdByIdentity: workload });
    const run = await call(ADMIN.secret, 'POST', '/v1/pipelines/release/runs', { image: 'registry.example.com/mcp/zai-proxy:1.2.2' });
    expect(run.statusCode, run.body).toBe(201);
    expect(run.json().createdByIdentity).toEqual(ROOT_IDENTITY);
    const aborted = await asWorkload('POST', `/v1/pipelines/release/runs/${run.json().id}/abort`, { reason: 'stop' });
    assertMatchesSpec('abortPipelineRun', aborted);
    expect(aborted.statusCode, aborted.body).toBe(202);
    expect(aborted.json().abortRequestedBy).toEqual({ actor: 'org/platform', actorIdentity: workload });
    const read = await call(ADMIN.secret, 'GET', `/v1/pipelines/release/runs/${run.json().id}`);
    assertMatchesSpec('getPipelineRun', read);
    const events = read.json().events.map((e: { actor: string; actorIdentity: unknown; message: string }) => [e.message.split(':')[0], e.actorIdentity]);
    expect(events).toEqual(expect.arrayContaining([['abort asked', workload]]));
    expect(events[0][1]).toEqual(ROOT_IDENTITY);
  });

  it('a workload minting an API token is its createdByIdentity, in the answer and in the list', async () => {
    const minted = await asWorkload('POST', '/v1/tokens', { name: 'dashboard', role: 'viewer' });
    assertMatchesSpec('createToken', minted);
    expect(minted.statusCode, minted.body).toBe(201);
    expect(minted.json()).toMatchObject({ createdBy: 'org/platform', createdByIdentity: workload });
    const listed = await call(ADMIN.secret, 'GET', '/v1/tokens');
    assertMatchesSpec('listTokens', listed);
    const byName = Object.fromEntries(listed.json().items.map((t: { name: string; createdByIdentity: unknown }) => [t.name, t.createdByIdentity]));
    expect(byName).toEqual({ root: null, dashboard: workload });
  });
});
