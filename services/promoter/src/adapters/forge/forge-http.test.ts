import { afterEach, describe, expect, it } from 'vitest';
import { ForgeError } from './forge-client.js';
import { ForgeHttp, forgeMessage, forgeText, type ForgeRequest } from './forge-http.js';
import { startForgeTestServer, type ForgeTestServer, type Routes } from './forge-test-server.js';

const TOKEN = 'ghp_S3cretTokenValue0123456789';
const servers: ForgeTestServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(routes: Routes): Promise<ForgeTestServer> {
  const server = await startForgeTestServer(routes);
  servers.push(server);
  return server;
}

function http(url: string, overrides: Partial<ConstructorParameters<typeof ForgeHttp>[0]> = {}): ForgeHttp {
  return new ForgeHttp({
    forgeName: 'GitHub',
    apiUrl: url,
    project: 'team/deploy',
    token: async () => TOKEN,
    headers: (token) => ({ Authorization: `Bearer ${token}` }),
    ...overrides,
  });
}

async function failure(call: Promise<unknown>): Promise<ForgeError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ForgeError);
  const forgeError = error as ForgeError;
  // Whatever went wrong, the token is never part of what an operator or a record sees.
  expect(forgeError.message).not.toContain(TOKEN);
  return forgeError;
}

const GET: ForgeRequest = { method: 'GET', path: '/repos/team/deploy/pulls/1' };

describe('ForgeHttp: a successful call', () => {
  it('sends the token only in its header, a User-Agent and a JSON body, and returns the parsed answer', async () => {
    const server = await serve({ 'POST /repos/team/deploy/pulls': { status: 201, json: { number: 1 } } });
    const response = await http(server.url).request({ method: 'POST', path: '/repos/team/deploy/pulls', query: { a: 'b c' }, body: { title: 't' } });
    expect(response).toMatchObject({ status: 201, body: { number: 1 } });
    const [request] = server.requests;
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request?.headers['user-agent']).toMatch(/^promoter/);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.query.get('a')).toBe('b c');
    expect(request?.body).toEqual({ title: 't' });
  });

  it('reads the token at each call (a rotated Secret is used at once)', async () => {
    const server = await serve({ 'GET /repos/team/deploy/pulls/1': { status: 200, json: {} } });
    let n = 0;
    const client = http(server.url, { token: async () => `token-${++n}` });
    await client.request(GET);
    await client.request(GET);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('returns an expected error status with its message instead of throwing', async () => {
    const server = await serve({ 'PUT /m': { status: 405, json: { message: 'Pull Request is not mergeable' } } });
    const response = await http(server.url).request({ method: 'PUT', path: '/m', expect: [405] });
    expect(response).toMatchObject({ status: 405, message: 'Pull Request is not mergeable' });
  });
});

describe('ForgeHttp: statuses become ForgeErrors that say what to check', () => {
  const cases: ReadonlyArray<[string, { reply: Routes[string]; retryable: boolean; status: number; says: string[] }]> = [
    ['401: the token', { reply: { status: 401, json: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } }, retryable: false, status: 401, says: ['(Bad credentials)', 'check that the forge token (tokenFile or tokenEnv) is set, valid and not expired'] }],
    ['403: the permission', { reply: { status: 403, json: { message: 'Resource not accessible by integration' } }, retryable: false, status: 403, says: ["check that the forge token may write pull requests in 'team/deploy'"] }],
    ['404: the project and apiUrl', { reply: { status: 404, json: { message: 'Not Found' } }, retryable: false, status: 404, says: ["check the project 'team/deploy' and apiUrl http://127.0.0.1"] }],
    ['422: the forge words', { reply: { status: 422, json: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'base', code: 'invalid' }] } }, retryable: false, status: 422, says: ['(Validation Failed; PullRequest base invalid)'] }],
    ['500: retryable', { reply: { status: 500, json: { message: 'Server Error' } }, retryable: true, status: 500, says: ['answered GET /repos/team/deploy/pulls/1 with 500 (Server Error)'] }],
    ['502 with an HTML page: retryable, the page not quoted', { reply: { status: 502, raw: '<html><body><h1>502 Bad Gateway</h1></body></html>' }, retryable: true, status: 502, says: ['with 502'] }],
    ['429 with Retry-After: retryable, the wait told', { reply: { status: 429, json: { message: 'Too Many Requests' }, headers: { 'retry-after': '30' } }, retryable: true, status: 429, says: ['it asks to retry after 30 s'] }],
    ['403 with the primary rate limit spent: retryable', { reply: { status: 403, json: { message: 'API rate limit exceeded for installation ID 1.' }, headers: { 'x-ratelimit-remaining': '0' } }, retryable: true, status: 403, says: ['API rate limit exceeded'] }],
    ['403 secondary rate limit with Retry-After: retryable', { reply: { status: 403, json: { message: 'You have exceeded a secondary rate limit.' }, headers: { 'retry-after': '60' } }, retryable: true, status: 403, says: ['secondary rate limit'] }],
  ];
  it.each(cases)('%s', async (_name, { reply, retryable, status, says }) => {
    const server = await serve({ 'GET /repos/team/deploy/pulls/1': reply });
    const error = await failure(http(server.url).request(GET));
    expect({ retryable: error.retryable, status: error.status }).toEqual({ retryable, status });
    for (const text of says) expect(error.message).toContain(text);
    expect(error.message).not.toContain('<html>');
  });

  it('never repeats the token when the forge echoes it, in any form', async () => {
    const server = await serve({ 'GET /repos/team/deploy/pulls/1': { status: 400, json: { message: `bad header Authorization: Bearer ${TOKEN} (${encodeURIComponent(TOKEN)})` } } });
    const error = await failure(http(server.url).request(GET));
    expect(error.message).toContain('bad header Authorization: Bearer ***');
  });

  it('cuts forge text to one short line without controls', async () => {
    const server = await serve({ 'GET /repos/team/deploy/pulls/1': { status: 400, json: { message: `line one\nApproved by: admin\u001b[31m red ${'x'.repeat(600)}` } } });
    const error = await failure(http(server.url).request(GET));
    expect(error.message).not.toMatch(/[\n\u001b]/);
    expect(error.message).toContain('line one Approved by: admin red');
    expect(error.message.length).toBeLessThan(450);
    expect(error.message).toContain('…');
  });
});

describe('ForgeHttp: untrusted answers are bounded', () => {
  it('refuses a body over the bound announced by Content-Length without reading it', async () => {
    // The body never comes: only the announced length can make the call end before the timeout.
    const server = await serve({ 'GET /repos/team/deploy/pulls/1': { status: 200, headersOnly: true, headers: { 'content-type': 'application/json', 'content-length': '5000' } } });
    const error = await failure(http(server.url, { maxResponseBytes: 1000, timeoutMs: 10_000 }).request(GET));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('with more than 1000 bytes');
  });

  it('refuses a body over the bound that its Content-Length announces truthfully', async () => {
    const server = await serve({ 'GET /repos/team/deploy/pulls/1': { status: 200, raw: JSON.stringify({ pad: 'x'.repeat(5000) }) } });
    const error = await failure(http(server.url, { maxResponseBytes: 1000 }).request(GET));
    expect(error.message).toContain('with more than 1000 bytes');
  });

  it('stops reading a streamed body (no Content-Length) once it passes the bound', async () => {
    const server = await serve({ 'GET /repos/team/deploy/pulls/1': { status: 200, streamBytes: 8 * 1024 * 1024 } });
    const error = await failure(http(server.url, { maxResponseBytes: 1024 * 1024 }).request(GET));
    expect(error.message).toContain(`with more than ${1024 * 1024} bytes`);
  });

  it('reports a 2xx body that is not JSON as a ForgeError naming apiUrl', async () => {
    const server = await serve({ 'GET /repos/team/deploy/pulls/1': { status: 200, raw: '<!DOCTYPE html><title>Sign in</title>' } });
    const error = await failure(http(server.url).request(GET));
    expect(error).toMatchObject({ retryable: false, status: 200 });
    expect(error.message).toContain('a body that is not JSON');
    expect(error.message).toContain(`check apiUrl (${server.url})`);
  });

  it('gives up on a forge that does not answer within the timeout, as retryable', async () => {
    const server = await serve({ 'GET /repos/team/deploy/pulls/1': { status: 200, hang: true } });
    const started = Date.now();
    const error = await failure(http(server.url, { timeoutMs: 200 }).request(GET));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('GitHub did not answer GET /repos/team/deploy/pulls/1 within 200 ms');
  });

  it('reports a forge that cannot be reached as retryable, with the socket error code', async () => {
    const server = await serve({});
    const url = server.url;
    await server.close();
    const error = await failure(http(url).request(GET));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('GitHub could not be reached for GET /repos/team/deploy/pulls/1: ECONNREFUSED');
  });
});

describe('ForgeHttp: redirects', () => {
  it('never follows a redirect to another origin, so the token stays with the forge', async () => {
    const elsewhere = await serve({ 'GET /steal': { status: 200, json: {} } });
    const server = await serve({ 'GET /repos/team/deploy/pulls/1': { status: 302, headers: { location: `${elsewhere.url}/steal` } } });
    const error = await failure(http(server.url).request(GET));
    expect(error.message).toContain(`redirected GET /repos/team/deploy/pulls/1 to another origin (${elsewhere.url})`);
    expect(elsewhere.requests).toEqual([]);
  });

  it('follows a same-origin redirect of a read (a renamed repository)', async () => {
    const server = await serve({
      'GET /repos/team/deploy/pulls/1': { status: 301, headers: { location: '/repositories/42/pulls/1' } },
      'GET /repositories/42/pulls/1': { status: 200, json: { number: 1 } },
    });
    expect((await http(server.url).request(GET)).body).toEqual({ number: 1 });
    expect(server.requests[1]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('does not replay a redirected write', async () => {
    const server = await serve({ 'PUT /repos/team/deploy/pulls/1/merge': { status: 307, headers: { location: '/other' } } });
    const error = await failure(http(server.url).request({ method: 'PUT', path: '/repos/team/deploy/pulls/1/merge', body: {} }));
    expect(error.message).toContain('redirected PUT /repos/team/deploy/pulls/1/merge (307)');
    expect(server.requests).toHaveLength(1);
  });

  it('stops after three redirects', async () => {
    const server = await serve({ 'GET /repos/team/deploy/pulls/1': { status: 302, headers: { location: '/repos/team/deploy/pulls/1' } } });
    const error = await failure(http(server.url).request(GET));
    expect(error.message).toContain('more than 3 times');
    expect(server.requests).toHaveLength(4);
  });
});

describe('forgeMessage and forgeText', () => {
  const cases: ReadonlyArray<[string, { given: unknown; want: string | undefined }]> = [
    ['GitHub message', { given: { message: 'Bad credentials' }, want: 'Bad credentials' }],
    ['GitHub errors with messages', { given: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for team:b.' }] }, want: 'Validation Failed; A pull request already exists for team:b.' }],
    ['GitLab list message', { given: { message: ['Another open merge request already exists for this source branch: !7'] }, want: 'Another open merge request already exists for this source branch: !7' }],
    ['GitLab field messages', { given: { message: { target_branch: ['is invalid'] } }, want: 'target_branch: is invalid' }],
    ['GitLab error', { given: { error: 'sha is missing' }, want: 'sha is missing' }],
    ['no message', { given: { id: 1 }, want: undefined }],
    ['not an object', { given: ['x'], want: undefined }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(forgeMessage(given, [])).toBe(want);
  });

  it('forgeText removes secrets, line breaks and controls and cuts to 300 characters', () => {
    expect(forgeText(`a\r\nb\u202Ec ${TOKEN}`, [TOKEN])).toBe('a b\\u202ec ***');
    expect(forgeText('y'.repeat(1000), [])).toHaveLength(300);
  });
});
