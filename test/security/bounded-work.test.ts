/**
 * Bounded work per request. Issue 14: a 39 KB evaluation (10 checks, interval 1ms) ran 2,000 Prometheus
 * queries in 13 s and went on after the client left; 260 KB of YAML to an unmatched route cost 2.5 s of
 * CPU before the 404; 500 event streams from one token kept a core busy; failed requests (401, 400) did
 * not count towards the rate limit; a slow body held its connection.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { samplePolicy, samplePromotion, startTestService, type TestService } from '../fixtures/service.js';

const target = { namespace: 'mcp', deployment: 'api', container: 'app' };
const check = (name: string) => ({ name, query: 'sum(rate(http_requests_total[5m]))', max: 1 });
const pastWindow = (minutes: number) => {
  const end = Date.now() - 60_000;
  return { start: new Date(end - minutes * 60_000).toISOString(), end: new Date(end).toISOString() };
};

describe('evaluation limits', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(() => svc.close());

  const evaluate = (body: Record<string, unknown>) => svc.app.inject({ method: 'POST', url: '/v1/evaluations', payload: { target, image: 'r.example/a:1', ...body } });

  it('refuses an interval of 1ms with 422 naming the limit', async () => {
    const checks = Array.from({ length: 10 }, (_, i) => check(`c${i}`));
    const response = await evaluate({ policy: { interval: '1ms', checks }, window: pastWindow(2) });
    assertMatchesSpec('createEvaluation', response);
    expect(response.statusCode).toBe(422);
    expect(response.json().errors).toContainEqual({ pointer: '/body/policy/interval', detail: 'must be at least 500ms (the limit on how often checks run)' });
  });

  it('refuses an evaluation that would run more than 1,000 queries, saying so', async () => {
    const checks = Array.from({ length: 10 }, (_, i) => check(`c${i}`));
    const response = await evaluate({ policy: { interval: '30s', checks }, window: pastWindow(100) });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors[0].detail).toBe('this evaluation would run 2010 Prometheus queries (201 rounds of 10 checks); the limit is 1000 per evaluation');
  });

  it('refuses an evaluation that could make more than 50 webhook calls, retries included', async () => {
    const policy = { interval: '1m', checks: [{ name: 'suite', webhook: { url: 'https://tests.example/run', retries: 2 } }] };
    const response = await evaluate({ policy, window: pastWindow(30) });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors[0].detail).toMatch(/could make 93 webhook calls .* the limit is 50 per evaluation/);
  });

  it('refuses a window of more than 500 rounds', async () => {
    const response = await evaluate({ policy: { interval: '1s', checks: [check('one')] }, window: pastWindow(10) });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors[0].detail).toMatch(/the limit is 500 rounds per evaluation/);
  });
});

describe('an evaluation whose client goes away', () => {
  let svc: TestService;
  let webhook: Server;
  let calls = 0;
  let firstCall: () => void = () => undefined;
  const firstCallSeen = new Promise<void>((resolve) => (firstCall = resolve));

  beforeAll(async () => {
    // Each call takes a while, as a real test suite would.
    webhook = createServer((request, response) => {
      calls += 1;
      firstCall();
      request.resume();
      setTimeout(() => response.writeHead(200).end('ok'), 150);
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const allowed = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/`;
    svc = await startTestService({ listen: true, webhookPolicy: { allowedUrls: [allowed], secrets: {} } });
  });
  afterAll(async () => {
    await svc.close();
    await new Promise((resolve) => webhook.close(resolve));
  });

  it('stops measuring and stores nothing', async () => {
    const url = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/run`;
    const policy = { interval: '1m', checks: [{ name: 'suite', webhook: { url, retries: 0 } }] };
    const client = new AbortController();
    const answer = fetch(`${svc.url}/v1/evaluations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target, image: 'r.example/a:1', policy, window: pastWindow(39) }), // 40 rounds, 40 calls
      signal: client.signal,
    }).catch(() => 'aborted');
    await firstCallSeen;
    client.abort();
    expect(await answer).toBe('aborted');
    await expect.poll(() => svc.logs.some((line) => line.includes('"code":"client-closed-request"')), { timeout: 10_000 }).toBe(true);
    expect(calls).toBeLessThan(40);
    expect(await svc.database.handle.db.selectFrom('evaluations').select('id').execute()).toEqual([]);
  });
});

describe('request bounds', () => {
  let svc: TestService;
  const SECRET = 'operator-secret-0123456789';
  const OTHER = 'operator-secret-abcdefghij';

  beforeAll(async () => {
    svc = await startTestService({
      listen: true,
      rateLimitPerMinute: 5,
      failedAuthPerMinute: 5,
      requestTimeoutMs: 1_000,
      apiTokens: [
        { name: 'ci', role: 'admin', namespaces: undefined, secret: SECRET },
        { name: 'other-ci', role: 'admin', namespaces: undefined, secret: OTHER },
        { name: 'third', role: 'viewer', namespaces: undefined, secret: 'viewer-secret-0123456789' },
        { name: 'fourth', role: 'viewer', namespaces: undefined, secret: 'viewer-secret-abcdefghij' },
      ],
    });
    await svc.app.inject({ method: 'PUT', url: '/v1/policies/default', payload: samplePolicy(), headers: { authorization: `Bearer ${SECRET}` } });
    await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: samplePromotion(), headers: { authorization: `Bearer ${SECRET}` } });
  });
  afterAll(() => svc.close());

  it('does not parse a body sent to a route that does not exist', async () => {
    // Broken YAML: had it been parsed, the answer would be 400 malformed-body.
    const yaml = `a: [${'x, '.repeat(87_000)}\n  b: : :`;
    const started = performance.now();
    const response = await svc.app.inject({ method: 'POST', url: '/v1/nope', headers: { 'content-type': 'application/yaml' }, payload: yaml });
    const ms = performance.now() - started;
    console.log(`${(yaml.length / 1024).toFixed(0)} KB of YAML to an unmatched route: ${ms.toFixed(1)} ms to the 404`);
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('route-not-found');
  });

  it('does not parse a body in a content type the operation refuses', async () => {
    const response = await svc.app.inject({
      method: 'POST',
      url: '/v1/promotions',
      headers: { 'content-type': 'application/yaml', authorization: `Bearer ${OTHER}` },
      payload: 'a: [: broken',
    });
    assertMatchesSpec('createPromotion', response);
    expect(response.statusCode).toBe(415);
  });

  it('limits failed authentication per client address, valid token or not', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await svc.app.inject({ method: 'GET', url: '/v1/policies', headers: { authorization: `Bearer guess-${i}-0123456789abcdef` }, remoteAddress: '10.9.9.9' })).statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const right = await svc.app.inject({ method: 'GET', url: '/v1/policies', headers: { authorization: `Bearer ${SECRET}` }, remoteAddress: '10.9.9.9' });
    expect(right.statusCode).toBe(429); // no oracle: the right guess is not told apart
    expect(right.json().code).toBe('rate-limited');
    expect((await svc.app.inject({ method: 'GET', url: '/v1/policies', headers: { authorization: `Bearer ${SECRET}` }, remoteAddress: '10.9.9.10' })).statusCode).toBe(200);
  });

  it('counts invalid requests (400, 422) towards the rate limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const response = await svc.app.inject({ method: 'POST', url: '/v1/promotions', headers: { authorization: `Bearer ${OTHER}` }, payload: { nonsense: i } });
      statuses.push(response.statusCode);
    }
    expect(statuses.filter((s) => s === 400 || s === 422).length).toBeLessThanOrEqual(5);
    expect(statuses.at(-1)).toBe(429);
  });

  it('answers a body that does not arrive in time with 408 problem+json', async () => {
    const { port } = new URL(svc.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`PUT /v1/policies/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${SECRET}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"checks":`);
      });
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('application/problem+json');
    expect(answer).toContain('"code":"request-timeout"');
  });
});

describe('event stream caps', () => {
  let svc: TestService;
  let promotionId: string;
  beforeAll(async () => {
    svc = await startTestService({
      listen: true,
      streamPollMs: 50,
      eventStreams: { perToken: 2, total: 3 },
      apiTokens: [
        { name: 'third', role: 'admin', namespaces: undefined, secret: 'viewer-secret-0123456789' },
        { name: 'fourth', role: 'viewer', namespaces: undefined, secret: 'viewer-secret-abcdefghij' },
      ],
    });
    const auth = { authorization: 'Bearer viewer-secret-0123456789' };
    await svc.app.inject({ method: 'PUT', url: '/v1/policies/default', payload: samplePolicy(), headers: auth });
    promotionId = (await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: samplePromotion(), headers: auth })).json().id;
  });
  afterAll(() => svc.close());

  it('caps event streams per token and in all with 429', async () => {
    const open = (secret: string) => {
      const controller = new AbortController();
      const response = fetch(`${svc.url}/v1/promotions/${promotionId}/events`, {
        headers: { accept: 'text/event-stream', authorization: `Bearer ${secret}` },
        signal: controller.signal,
      });
      return { response, close: () => controller.abort() };
    };
    const third = 'viewer-secret-0123456789';
    const fourth = 'viewer-secret-abcdefghij';
    const a1 = open(third);
    const a2 = open(third);
    expect((await a1.response).status).toBe(200);
    expect((await a2.response).status).toBe(200);
    const a3 = await open(third).response;
    expect(a3.status).toBe(429);
    expect(a3.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(((await a3.json()) as { detail: string }).detail).toContain('At most 2 per token');
    const b1 = open(fourth);
    expect((await b1.response).status).toBe(200);
    const b2 = await open(fourth).response;
    expect(b2.status).toBe(429);
    expect(((await b2.json()) as { detail: string }).detail).toContain('At most 3 in all');
    a1.close();
    await expect.poll(async () => {
      const again = open(fourth);
      const status = (await again.response).status;
      again.close();
      return status;
    }).toBe(200);
    a2.close();
    b1.close();
  });

});
