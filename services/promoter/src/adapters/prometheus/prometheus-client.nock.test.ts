import nock from 'nock';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from './prometheus-client.js';
import type { PrometheusClientOptions } from './prometheus-client.js';
import { PrometheusError } from './prometheus-error.js';

const BASE = 'http://prometheus.test:9090';

function client(options: Partial<PrometheusClientOptions> = {}): PrometheusClient {
  return new PrometheusClient({ baseUrl: BASE, retryBaseDelayMs: 1, timeoutMs: 2_000, ...options });
}

function success(data: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { status: 'success', data, ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<PrometheusError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(PrometheusError);
  return error as PrometheusError; // asserted on the line above
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.abortPendingRequests();
  nock.cleanAll();
  expect(pending, 'every mocked request was made').toEqual([]);
});
afterAll(() => nock.enableNetConnect());

describe('queries', () => {
  it('POSTs an instant query as a form with time and a server-side timeout', async () => {
    nock(BASE)
      .post('/api/v1/query', { query: 'sum(up{job="a"})', time: '1700000000.500', timeout: '2' })
      .matchHeader('content-type', 'application/x-www-form-urlencoded')
      .reply(200, success({ resultType: 'vector', result: [{ metric: { job: 'a' }, value: [1700000000.5, '3'] }] }));

    const result = await client().queryInstant('sum(up{job="a"})', { time: new Date(1_700_000_000_500) });

    expect(result).toEqual({
      resultType: 'vector',
      result: [{ metric: { job: 'a' }, time: 1700000000.5, value: 3 }],
      warnings: [],
      infos: [],
    });
  });

  it('POSTs a range query and parses the matrix', async () => {
    nock(BASE)
      .post('/api/v1/query_range', { query: 'rate(x[1m])', start: '100.000', end: '160.000', step: '30', timeout: '2' })
      .reply(200, success({ resultType: 'matrix', result: [{ metric: {}, values: [[100, '1'], [130, '2'], [160, 'NaN']] }] }));

    const result = await client().queryRange('rate(x[1m])', { start: new Date(100_000), end: new Date(160_000), stepSeconds: 30 });

    expect(result.resultType).toBe('matrix');
    if (result.resultType !== 'matrix') return;
    expect(result.result[0]?.samples.map((s) => s.value)).toEqual([1, 2, Number.NaN]);
  });

  it.each([
    ['scalar', { resultType: 'scalar', result: [1, '-Inf'] }, { time: 1, value: Number.NEGATIVE_INFINITY }],
    ['string', { resultType: 'string', result: [1, 'hello'] }, { time: 1, value: 'hello' }],
  ])('parses a %s result', async (_name, data, want) => {
    nock(BASE).post('/api/v1/query').reply(200, success(data));
    expect((await client().queryInstant('x')).result).toEqual(want);
  });

  it('reads NaN, +Inf and -Inf sample values', async () => {
    nock(BASE)
      .post('/api/v1/query')
      .reply(200, success({
        resultType: 'vector',
        result: [
          { metric: { i: '1' }, value: [1, 'NaN'] },
          { metric: { i: '2' }, value: [1, '+Inf'] },
          { metric: { i: '3' }, value: [1, '-Inf'] },
        ],
      }));
    const result = await client().queryInstant('x');
    if (result.resultType !== 'vector') throw new Error('expected a vector');
    expect(result.result.map((s) => s.value)).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });

  it('keeps warnings and infos on the result', async () => {
    nock(BASE)
      .post('/api/v1/query')
      .reply(200, success({ resultType: 'vector', result: [] }, { warnings: ['remote read failed'], infos: ['metric might not be a counter'] }));
    const result = await client().queryInstant('x');
    expect(result.warnings).toEqual(['remote read failed']);
    expect(result.infos).toEqual(['metric might not be a counter']);
  });

  it('keeps a path prefix of the base URL', async () => {
    nock('http://gateway.test').post('/prometheus/api/v1/query').reply(200, success({ resultType: 'vector', result: [] }));
    await client({ baseUrl: 'http://gateway.test/prometheus/' }).queryInstant('x');
  });
});

describe('errors and retries', () => {
  it('400 bad_data fails at once with the server message (no retry)', async () => {
    nock(BASE).post('/api/v1/query').once().reply(400, {
      status: 'error',
      errorType: 'bad_data',
      error: 'invalid parameter "query": 1:17: parse error: unclosed left parenthesis',
    });
    const error = await rejection(client({ retries: 3 }).queryInstant('sum(rate(x[5m])'));
    expect(error).toMatchObject({ kind: 'bad_data', status: 400, errorType: 'bad_data', retryable: false, attempts: 1 });
    expect(error.serverMessage).toContain('unclosed left parenthesis');
  });

  it('422 execution error is not retried', async () => {
    nock(BASE).post('/api/v1/query').once().reply(422, {
      status: 'error',
      errorType: 'execution',
      error: 'invalid regular expression in label_replace(): (',
    });
    const error = await rejection(client().queryInstant('label_replace(up, "x", "$1", "job", "(")'));
    expect(error).toMatchObject({ kind: 'execution', status: 422, retryable: false, attempts: 1 });
  });

  it('503 then success: retried', async () => {
    nock(BASE)
      .post('/api/v1/query')
      .reply(503, { status: 'error', errorType: 'timeout', error: 'query timed out in query execution' })
      .post('/api/v1/query')
      .reply(200, success({ resultType: 'scalar', result: [1, '7'] }));
    const result = await client().queryInstant('x');
    expect(result.result).toEqual({ time: 1, value: 7 });
  });

  it('network error then success: retried', async () => {
    nock(BASE)
      .post('/api/v1/query')
      .replyWithError({ code: 'ECONNRESET', message: 'socket hang up' })
      .post('/api/v1/query')
      .reply(200, success({ resultType: 'scalar', result: [1, '7'] }));
    expect((await client().queryInstant('x')).result).toEqual({ time: 1, value: 7 });
  });

  it('gives up after the configured retries with the last error and the attempt count', async () => {
    nock(BASE).post('/api/v1/query').times(3).reply(503, { status: 'error', errorType: 'unavailable', error: 'not ready' });
    const error = await rejection(client({ retries: 2 }).queryInstant('x'));
    expect(error).toMatchObject({ kind: 'unavailable', status: 503, retryable: true, attempts: 3 });
  });

  it('a network error that persists is kind network, never a value', async () => {
    nock(BASE).post('/api/v1/query').times(2).replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    const error = await rejection(client({ retries: 1 }).queryInstant('x'));
    expect(error).toMatchObject({ kind: 'network', retryable: true, attempts: 2 });
  });

  it('times out a slow attempt with its own timer', async () => {
    nock(BASE).post('/api/v1/query').delay(1_000).reply(200, success({ resultType: 'scalar', result: [1, '1'] }));
    const error = await rejection(client({ timeoutMs: 50, retries: 0 }).queryInstant('x'));
    expect(error).toMatchObject({ kind: 'timeout', retryable: true, attempts: 1 });
  });

  it('a timed-out attempt is retried', async () => {
    nock(BASE)
      .post('/api/v1/query')
      .delay(1_000)
      .reply(200, success({ resultType: 'scalar', result: [1, '1'] }))
      .post('/api/v1/query')
      .reply(200, success({ resultType: 'scalar', result: [1, '2'] }));
    expect((await client({ timeoutMs: 50, retries: 1 }).queryInstant('x')).result).toEqual({ time: 1, value: 2 });
  });

  it('a 502 HTML page from a proxy is kind http and retryable', async () => {
    nock(BASE).post('/api/v1/query').reply(502, '<html>Bad Gateway</html>');
    const error = await rejection(client({ retries: 0 }).queryInstant('x'));
    expect(error).toMatchObject({ kind: 'http', status: 502, retryable: true, serverMessage: '<html>Bad Gateway</html>' });
  });

  it('401 is kind http and not retried', async () => {
    nock(BASE).post('/api/v1/query').once().reply(401, 'Unauthorized');
    expect(await rejection(client().queryInstant('x'))).toMatchObject({ kind: 'http', status: 401, retryable: false });
  });

  it('a 200 that is not the API envelope is a bad_response', async () => {
    nock(BASE).post('/api/v1/query').reply(200, '<html>login</html>');
    expect(await rejection(client().queryInstant('x'))).toMatchObject({ kind: 'http', errorType: 'bad_response', retryable: false });
  });

  it('aborting the caller signal rejects with its reason and stops retrying', async () => {
    const controller = new AbortController();
    const scope = nock(BASE).post('/api/v1/query').delay(1_000).reply(200, success({ resultType: 'scalar', result: [1, '1'] }));
    // Abort once the request is in flight, so the abort hits a running attempt.
    scope.on('request', () => controller.abort(new Error('shutting down')));
    await expect(client({ retries: 3 }).queryInstant('x', { signal: controller.signal })).rejects.toThrow('shutting down');
  });
});

describe('headers', () => {
  it('sends a bearer token and extra headers such as X-Scope-OrgID', async () => {
    nock(BASE, { reqheaders: { authorization: 'Bearer s3cret', 'x-scope-orgid': 'tenant-a' } })
      .post('/api/v1/query')
      .reply(200, success({ resultType: 'vector', result: [] }));
    await client({ auth: { type: 'bearer', token: 's3cret' }, headers: { 'X-Scope-OrgID': 'tenant-a' } }).queryInstant('x');
  });

  it('sends basic auth, which wins over a hand-written Authorization header', async () => {
    const expected = `Basic ${Buffer.from('user:p@ss:word').toString('base64')}`;
    nock(BASE, { reqheaders: { authorization: expected } })
      .get('/api/v1/alerts')
      .reply(200, success({ alerts: [] }));
    await client({ auth: { type: 'basic', username: 'user', password: 'p@ss:word' }, headers: { authorization: 'x' } }).alerts();
  });
});

describe('validateQuery', () => {
  it('ok when format_query accepts the query', async () => {
    nock(BASE).post('/api/v1/format_query', { query: 'sum(up)' }).reply(200, success('sum(up)'));
    expect(await client().validateQuery('sum(up)')).toEqual({ ok: true });
  });

  it('returns the parse error when format_query rejects it', async () => {
    nock(BASE).post('/api/v1/format_query').reply(400, {
      status: 'error',
      errorType: 'bad_data',
      error: 'invalid parameter "query": 1:17: parse error: unclosed left parenthesis',
    });
    expect(await client().validateQuery('sum(rate(x[5m])')).toEqual({
      ok: false,
      error: 'invalid parameter "query": 1:17: parse error: unclosed left parenthesis',
    });
  });

  it('falls back to a query at time 0 on servers without format_query, and remembers', async () => {
    nock(BASE)
      .post('/api/v1/format_query')
      .once()
      .reply(404, '404 page not found')
      .post('/api/v1/query', { query: 'sum(up)', time: '0', timeout: '2' })
      .reply(200, success({ resultType: 'vector', result: [] }))
      .post('/api/v1/query', (body: Record<string, string>) => body['time'] === '0')
      .reply(400, { status: 'error', errorType: 'bad_data', error: 'parse error: unexpected end of input' });
    const prometheus = client();
    expect(await prometheus.validateQuery('sum(up)')).toEqual({ ok: true });
    expect(await prometheus.validateQuery('sum(')).toEqual({ ok: false, error: 'parse error: unexpected end of input' });
  });

  it('throws on an outage instead of calling the query invalid', async () => {
    nock(BASE).post('/api/v1/format_query').replyWithError({ code: 'ECONNREFUSED', message: 'refused' });
    expect(await rejection(client({ retries: 0 }).validateQuery('up'))).toMatchObject({ kind: 'network' });
  });
});

describe('alerts and readiness', () => {
  it('firingAlerts keeps only firing alerts', async () => {
    nock(BASE)
      .get('/api/v1/alerts')
      .reply(200, success({
        alerts: [
          { labels: { alertname: 'A', namespace: 'mcp' }, annotations: {}, state: 'firing', activeAt: '2024-01-01T00:00:00Z', value: '1e+00' },
          { labels: { alertname: 'B' }, annotations: {}, state: 'pending', activeAt: '2024-01-01T00:00:00Z', value: '2e+00' },
        ],
      }));
    const firing = await client().firingAlerts();
    expect(firing).toEqual([
      { labels: { alertname: 'A', namespace: 'mcp' }, annotations: {}, state: 'firing', activeAt: new Date('2024-01-01T00:00:00Z'), value: 1 },
    ]);
  });

  it('ready is true on 200 and false on 503 or a network error', async () => {
    nock(BASE)
      .get('/-/ready')
      .reply(200, 'Prometheus Server is Ready.')
      .get('/-/ready')
      .reply(503, 'Service Unavailable')
      .get('/-/ready')
      .replyWithError({ code: 'ECONNREFUSED', message: 'refused' });
    const prometheus = client();
    expect(await prometheus.ready()).toBe(true);
    expect(await prometheus.ready()).toBe(false);
    expect(await prometheus.ready()).toBe(false);
  });
});

describe('options', () => {
  it('rejects a non-http base URL and bad numbers', () => {
    expect(() => new PrometheusClient({ baseUrl: 'ftp://x' })).toThrow(/http/);
    expect(() => new PrometheusClient({ baseUrl: BASE, timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => new PrometheusClient({ baseUrl: BASE, retries: -1 })).toThrow(/retries/);
  });
});
