/**
 * Issue 14's hygiene findings, each as its reproduction: five requests that answered 500, a 431 that was
 * not problem+json, YAML .nan stored as null, reserved actor names, idempotency keys that never expired,
 * and webhook header secrets readable by every viewer.
 */
import { request as httpRequest } from 'node:http';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { samplePolicy, samplePromotion, startTestService, type TestService } from '../fixtures/service.js';

describe('hygiene', () => {
  let svc: TestService;
  let promotionId: string;
  beforeAll(async () => {
    svc = await startTestService({ listen: true, webhookPolicy: { allowedUrls: ['https://tests.example/'], secrets: {} } });
    expect((await svc.app.inject({ method: 'PUT', url: '/v1/policies/default', payload: samplePolicy() })).statusCode).toBe(201);
    promotionId = (await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: samplePromotion() })).json().id;
  });
  afterAll(() => svc.close());

  const problem = (response: { statusCode: number; headers: Record<string, unknown>; json: () => { code: string; status: number } }, status: number) => {
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(response.json().status).toBe(status);
  };

  it.each([
    ['after beyond 2^64', 'after=99999999999999999999'],
    ['after = 2^63', 'after=9223372036854775808'],
  ])('answers an event id out of range in the query (%s) with 400, not 500', async (_name, query) => {
    const response = await svc.app.inject({ method: 'GET', url: `/v1/promotions/${promotionId}/events?${query}` });
    assertMatchesSpec('listPromotionEvents', response);
    problem(response, 400);
  });

  it.each(['99999999999999999999', '9223372036854775808', '12abc'])('answers Last-Event-ID %s with 400, not 500', async (value) => {
    const response = await svc.app.inject({ method: 'GET', url: `/v1/promotions/${promotionId}/events`, headers: { 'last-event-id': value } });
    assertMatchesSpec('listPromotionEvents', response);
    problem(response, 400);
    expect(response.json()).toMatchObject({ errors: [{ pointer: '/headers/last-event-id' }] });
  });

  it.each(['99999999999', '1e309', '2147483648'])('answers a policy version %s beyond any version with 400, not 500', async (version) => {
    const response = await svc.app.inject({ method: 'GET', url: `/v1/policies/default?version=${version}` });
    assertMatchesSpec('getPolicy', response);
    problem(response, 400);
  });

  it('answers an evaluation at a leap second with 422 naming the field, not 500', async () => {
    const response = await svc.app.inject({
      method: 'POST',
      url: '/v1/evaluations',
      payload: { target: { namespace: 'mcp', deployment: 'api', container: 'app' }, image: 'r.example/a:1', policy: 'default', time: '2016-12-31T23:59:60Z' },
    });
    assertMatchesSpec('createEvaluation', response);
    problem(response, 422);
    expect(response.json()).toMatchObject({ errors: [{ pointer: '/body/time' }] });
  });

  it('answers headers too large (431) as problem+json', async () => {
    const answer = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const request = httpRequest(`${svc.url}/v1/promotions`, { headers: { 'x-filler': 'a'.repeat(20_000) } }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), body }));
      });
      request.on('error', reject);
      request.end();
    });
    expect(answer.status).toBe(431);
    expect(answer.type).toBe('application/problem+json; charset=utf-8');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 431, code: 'headers-too-large' });
  });

  it('refuses YAML .nan and .inf in numeric fields instead of storing null', async () => {
    const response = await svc.app.inject({
      method: 'PUT',
      url: '/v1/policies/nan',
      headers: { 'content-type': 'application/yaml' },
      payload: 'checks:\n  - name: error-rate\n    query: up\n    max: .nan\n  - name: traffic\n    query: up\n    min: -.inf\n',
    });
    assertMatchesSpec('putPolicy', response);
    problem(response, 422);
    expect(response.json().errors).toEqual([
      { pointer: '/body/checks/0/max', detail: 'must be a finite number' },
      { pointer: '/body/checks/1/min', detail: 'must be a finite number' },
    ]);
  });

  it.each(['engine', 'system', 'anonymous'])('refuses the reserved actor name %s for a token', async (name) => {
    const response = await svc.app.inject({ method: 'POST', url: '/v1/tokens', payload: { name, role: 'viewer' } });
    assertMatchesSpec('createToken', response);
    problem(response, 422);
    expect(response.json().errors[0].pointer).toBe('/body/name');
  });

  it('forgets an idempotency key after 24 hours, as the contract says', async () => {
    const headers = { 'idempotency-key': 'deploy-42' };
    const first = await svc.app.inject({ method: 'POST', url: '/v1/promotions', headers, payload: samplePromotion({ target: { namespace: 'mcp', deployment: 'idem', container: 'app' } }) });
    expect(first.statusCode).toBe(201);
    await svc.app.inject({ method: 'POST', url: `/v1/promotions/${first.json().id}/abort`, payload: {} });
    const another = samplePromotion({ target: { namespace: 'mcp', deployment: 'idem', container: 'app' }, reason: 'a day later' });
    expect((await svc.app.inject({ method: 'POST', url: '/v1/promotions', headers, payload: another })).statusCode).toBe(422);
    // Still remembered late inside the window: an expiry shorter than 24 hours would forget it here.
    await sql`UPDATE idempotency_keys SET created_at = now() - interval '23 hours 59 minutes' WHERE key = 'deploy-42'`.execute(svc.database.handle.db);
    const insideWindow = await svc.app.inject({ method: 'POST', url: '/v1/promotions', headers, payload: another });
    expect(insideWindow.statusCode).toBe(422);
    expect(insideWindow.json().type).toMatch(/idempotency-key-reused$/);
    await sql`UPDATE idempotency_keys SET created_at = now() - interval '24 hours 1 minute' WHERE key = 'deploy-42'`.execute(svc.database.handle.db);
    const later = await svc.app.inject({ method: 'POST', url: '/v1/promotions', headers, payload: another });
    expect(later.statusCode).toBe(201);
    expect(later.headers['idempotent-replayed']).toBe('false');
    expect(later.json().id).not.toBe(first.json().id);
  });

  it('never reads back a webhook header value, except a reference to a Secret-provided variable', async () => {
    const policy = samplePolicy({
      checks: [
        {
          name: 'functional-tests',
          webhook: { url: 'https://tests.example/run', headers: { authorization: 'Bearer literal-secret-123', 'x-api-key': '${env:PROMOTER_WEBHOOK_SECRET_CI}' } },
        },
      ],
    });
    const put = await svc.app.inject({ method: 'PUT', url: '/v1/policies/with-webhook', payload: policy });
    expect(put.statusCode).toBe(201);
    expect(put.body).not.toContain('literal-secret-123');
    const promotion = await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: samplePromotion({ policy: 'with-webhook', target: { namespace: 'mcp', deployment: 'hooked', container: 'app' } }) });
    for (const url of ['/v1/policies/with-webhook', '/v1/policies/with-webhook/versions', '/v1/policies', `/v1/promotions/${promotion.json().id}`]) {
      const response = await svc.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.body, url).not.toContain('literal-secret-123');
      expect(response.body, url).toContain('[redacted]');
      expect(response.body, url).toContain('${env:PROMOTER_WEBHOOK_SECRET_CI}');
    }
  });

  it('refuses a webhook URL the operator did not allow when the policy is stored', async () => {
    const response = await svc.app.inject({
      method: 'PUT',
      url: '/v1/policies/ssrf',
      payload: samplePolicy({ checks: [{ name: 'probe', webhook: { url: 'http://169.254.169.254/latest/meta-data/' } }] }),
    });
    assertMatchesSpec('putPolicy', response);
    problem(response, 422);
    expect(response.json().errors[0]).toMatchObject({ pointer: '/body/checks/0/webhook/url', detail: expect.stringContaining('PROMOTER_WEBHOOK_ALLOWED_URLS') });
  });

  // Found by the fuzz suite (seed 1414) during this work, kept as fixed regressions.
  it('lists no tokens (an operation that filters nothing still consults the scope), not 500', async () => {
    const fresh = await startTestService();
    try {
      const response = await fresh.app.inject({ method: 'GET', url: '/v1/tokens' });
      assertMatchesSpec('listTokens', response);
      expect(response.json()).toEqual({ items: [] });
      expect((await fresh.app.inject({ method: 'GET', url: '/v1/policies' })).json()).toEqual({ items: [] });
    } finally {
      await fresh.close();
    }
  });

  it('refuses an empty text/plain body on an operation that takes JSON with 415, not 500', async () => {
    const response = await svc.app.inject({ method: 'POST', url: '/v1/promotions', headers: { 'content-type': 'text/plain' }, payload: '' });
    assertMatchesSpec('createPromotion', response);
    problem(response, 415);
  });
});
