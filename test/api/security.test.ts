/** Who may do what: bearer tokens with roles and namespace scopes, the token API, rate limits, headers, redaction. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { samplePolicy, samplePromotion, startTestService, type TestService } from '../fixtures/service.js';

const SECRETS = { viewer: 'viewer-secret-0123456789', ops: 'operator-secret-0123456789', mcp: 'mcp-operator-secret-0123', admin: 'admin-secret-0123456789ab' };

describe('access control', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({
      rateLimitPerMinute: 20,
      apiTokens: [
        { name: 'dashboard', role: 'viewer', namespaces: undefined, secret: SECRETS.viewer },
        { name: 'deployer', role: 'operator', namespaces: undefined, secret: SECRETS.ops },
        { name: 'mcp-ci', role: 'operator', namespaces: ['mcp'], secret: SECRETS.mcp },
        { name: 'oncall', role: 'admin', namespaces: undefined, secret: SECRETS.admin },
      ],
    });
    const put = await svc.app.inject({ method: 'PUT', url: '/v1/policies/default', payload: samplePolicy(), headers: { authorization: `Bearer ${SECRETS.admin}` } });
    expect(put.statusCode).toBe(201);
  });
  afterAll(() => svc.close());

  const as = (secret: string | undefined) => (secret ? { authorization: `Bearer ${secret}` } : {});

  it('answers 401 problem+json without a token or with a bad one', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope-nope-nope-nope' }, { authorization: 'Basic YTpi' }]) {
      const response = await svc.app.inject({ method: 'GET', url: '/v1/promotions', headers });
      assertMatchesSpec('listPromotions', response);
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="promoter"');
      expect(response.json().code).toBe('unauthorized');
    }
  });

  it('keeps health, readiness, metrics and the docs public', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs/']) {
      expect((await svc.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });

  it('lets a viewer read but not write (403)', async () => {
    expect((await svc.app.inject({ method: 'GET', url: '/v1/promotions', headers: as(SECRETS.viewer) })).statusCode).toBe(200);
    const create = await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: samplePromotion(), headers: as(SECRETS.viewer) });
    expect(create.statusCode).toBe(403);
    expect(create.json()).toMatchObject({ code: 'forbidden', detail: "Token 'dashboard' has role viewer; this needs operator." });
    const policy = await svc.app.inject({ method: 'PUT', url: '/v1/policies/x', payload: samplePolicy(), headers: as(SECRETS.ops) });
    expect(policy.statusCode).toBe(403);
  });

  it('keeps a namespace-scoped operator in its namespaces and records the actor everywhere', async () => {
    const elsewhere = await svc.app.inject({
      method: 'POST',
      url: '/v1/promotions',
      payload: samplePromotion({ target: { namespace: 'payments', deployment: 'api', container: 'app' } }),
      headers: as(SECRETS.mcp),
    });
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json().detail).toContain("may act only in namespaces mcp, not 'payments'");
    const mine = await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: samplePromotion(), headers: as(SECRETS.mcp) });
    expect(mine.statusCode).toBe(201);
    expect(mine.json().actor).toBe('mcp-ci');
    const abort = await svc.app.inject({ method: 'POST', url: `/v1/promotions/${mine.json().id}/abort`, headers: as(SECRETS.mcp) });
    expect(abort.statusCode).toBe(200);
    const detail = (await svc.app.inject({ method: 'GET', url: `/v1/promotions/${mine.json().id}`, headers: as(SECRETS.viewer) })).json();
    expect(detail.events.map((e: { actor: string }) => e.actor)).toEqual(['mcp-ci', 'mcp-ci']);
    const policy = (await svc.app.inject({ method: 'GET', url: '/v1/policies/default', headers: as(SECRETS.viewer) })).json();
    expect(policy.createdBy).toBe('oncall');
  });

  it('creates API tokens whose secret is shown once and stored only as a digest, and revokes them', async () => {
    const created = await svc.app.inject({ method: 'POST', url: '/v1/tokens', payload: { name: 'bot', role: 'operator', namespaces: ['mcp'] }, headers: as(SECRETS.admin) });
    assertMatchesSpec('createToken', created);
    expect(created.statusCode).toBe(201);
    const { secret } = created.json();
    expect(secret).toMatch(/^prm_[A-Za-z0-9_-]{43}$/);
    const rows = await svc.database.handle.db.selectFrom('api_tokens').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(secret);
    const list = await svc.app.inject({ method: 'GET', url: '/v1/tokens', headers: as(SECRETS.admin) });
    assertMatchesSpec('listTokens', list);
    expect(list.body).not.toContain(secret);
    expect(list.json().items.map((t: { name: string }) => t.name)).toEqual(['dashboard', 'deployer', 'mcp-ci', 'oncall', 'bot']);
    const used = await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: samplePromotion({ target: { namespace: 'mcp', deployment: 'bot-target', container: 'app' } }), headers: as(secret) });
    expect(used.json().actor).toBe('bot');
    expect((await svc.app.inject({ method: 'POST', url: '/v1/tokens', payload: { name: 'bot', role: 'viewer' }, headers: as(SECRETS.admin) })).statusCode).toBe(409);
    expect((await svc.app.inject({ method: 'POST', url: '/v1/tokens', payload: { name: 'x', role: 'viewer' }, headers: as(SECRETS.ops) })).statusCode).toBe(403);
    const revoked = await svc.app.inject({ method: 'DELETE', url: '/v1/tokens/bot', headers: as(SECRETS.admin) });
    assertMatchesSpec('revokeToken', revoked);
    expect(revoked.statusCode).toBe(204);
    expect((await svc.app.inject({ method: 'GET', url: '/v1/promotions', headers: as(secret) })).statusCode).toBe(401);
  });

  it('limits requests per token with 429 problem+json and Retry-After', async () => {
    let limited;
    for (let i = 0; i < 25 && !limited; i++) {
      const response = await svc.app.inject({ method: 'GET', url: '/v1/policies', headers: as(SECRETS.ops) });
      if (response.statusCode === 429) limited = response;
    }
    expect(limited).toBeDefined();
    assertMatchesSpec('listPolicies', limited!);
    expect(limited!.json()).toMatchObject({ status: 429, code: 'rate-limited' });
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(0);
    // Another token has its own budget; public routes have none.
    expect((await svc.app.inject({ method: 'GET', url: '/v1/policies', headers: as(SECRETS.viewer) })).statusCode).toBe(200);
    for (let i = 0; i < 30; i++) expect((await svc.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('sends security headers, and Swagger UI still loads under its CSP', async () => {
    const docs = await svc.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
    expect(docs.headers['x-content-type-options']).toBe('nosniff');
    expect(docs.headers['x-frame-options']).toBe('SAMEORIGIN');
    const scripts = [...docs.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    expect(docs.body).not.toMatch(/<script>(?!<\/script>)/); // no inline scripts for the CSP to block
    for (const src of scripts) {
      const asset = await svc.app.inject({ method: 'GET', url: new URL(String(src), 'http://x/docs/').pathname });
      expect(asset.statusCode, String(src)).toBe(200);
    }
  });

  it('never writes a token to the log', async () => {
    await svc.app.inject({ method: 'GET', url: '/v1/promotions', headers: as(SECRETS.viewer) });
    const logs = svc.logs.join('\n');
    for (const secret of Object.values(SECRETS)) expect(logs).not.toContain(secret);
  });
});

describe('an open API (no tokens configured)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(() => svc.close());

  it('is open until the first token is created through the API', async () => {
    expect((await svc.app.inject({ method: 'GET', url: '/v1/promotions' })).statusCode).toBe(200);
    const created = await svc.app.inject({ method: 'POST', url: '/v1/tokens', payload: { name: 'first-admin', role: 'admin' } });
    expect(created.json().createdBy).toBe('anonymous');
    expect((await svc.app.inject({ method: 'GET', url: '/v1/promotions' })).statusCode).toBe(401);
    const withToken = await svc.app.inject({ method: 'GET', url: '/v1/promotions', headers: { authorization: `Bearer ${created.json().secret}` } });
    expect(withToken.statusCode).toBe(200);
  });
});
