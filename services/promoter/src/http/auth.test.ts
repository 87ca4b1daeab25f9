import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { ApiToken } from '../config.js';
import { AppError } from '../errors.js';
import { secretDigest, type StoredToken, type TokenRepository } from '../adapters/db/token-repository.js';
import { ANONYMOUS, FailedAuthLimiter, registerAuth, type AuthOptions } from './auth.js';

describe('FailedAuthLimiter', () => {
  const limiter = (limit: number) => {
    let now = 0;
    const failures = new FailedAuthLimiter(limit, 60_000, () => now);
    return { failures, at: (ms: number) => (now = ms) };
  };
  const refused = (failures: FailedAuthLimiter, address: string) => {
    try {
      failures.refuseIfExceeded(address);
      return false;
    } catch {
      return true;
    }
  };

  it('refuses an address at the limit until its window ends, and no other address', () => {
    const { failures, at } = limiter(3);
    for (let i = 0; i < 3; i++) failures.record('10.0.0.1');
    expect(refused(failures, '10.0.0.1')).toBe(true);
    expect(refused(failures, '10.0.0.2')).toBe(false);
    at(59_999);
    expect(refused(failures, '10.0.0.1')).toBe(true);
    at(60_000);
    expect(refused(failures, '10.0.0.1')).toBe(false);
  });

  it('starts a new window for an address whose window ended, counting from one', () => {
    const { failures, at } = limiter(2);
    failures.record('a');
    failures.record('a');
    at(60_000);
    failures.record('a');
    expect(refused(failures, 'a')).toBe(false);
    failures.record('a');
    expect(refused(failures, 'a')).toBe(true);
  });

  it('forgets the window that ends first when full, not one that was renewed', () => {
    const { failures, at } = limiter(1);
    failures.record('renewed');
    at(1);
    for (let i = 0; i < 9_999; i++) failures.record(`filler-${i}`); // 10,000 addresses: full
    at(60_000); // 'renewed' ended: its new window ends last
    failures.record('renewed');
    failures.record('newcomer'); // full of live windows: the oldest filler goes
    expect(refused(failures, 'renewed')).toBe(true);
    expect(refused(failures, 'newcomer')).toBe(true);
    expect(refused(failures, 'filler-0')).toBe(false);
    expect(refused(failures, 'filler-1')).toBe(true);
  });

  it('past the limit, says how many failures and when to retry, in whole seconds rounded up', () => {
    const { failures, at } = limiter(2);
    failures.record('a');
    failures.record('a');
    at(30_500);
    let error: unknown;
    try {
      failures.refuseIfExceeded('a');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      status: 429,
      code: 'rate-limited',
      title: 'Too many requests',
      detail: 'More than 2 failed authentications from this address in a minute; retry after 30 s.',
      headers: { 'retry-after': '30' },
    });
  });

  it('one failure short of the limit is not refused', () => {
    const { failures } = limiter(3);
    failures.record('a');
    failures.record('a');
    expect(refused(failures, 'a')).toBe(false);
  });

  it('a limit of 0 turns it off: nothing is counted or refused', () => {
    const { failures } = limiter(0);
    for (let i = 0; i < 5; i++) failures.record('a');
    expect(refused(failures, 'a')).toBe(false);
  });
});

/** The bearer-token hook on a bare Fastify app, with stored tokens in memory. */
describe('registerAuth', () => {
  const ADMIN: ApiToken = { name: 'ops', role: 'admin', namespaces: undefined, secret: 'admin-secret' };
  const VIEWER: ApiToken = { name: 'dash', role: 'viewer', namespaces: ['shop'], secret: 'viewer-secret' };
  const STORED: StoredToken = { name: 'ci', role: 'operator', namespaces: null, createdBy: 'ops', createdByIdentity: null, createdAt: '2026-12-05T00:00:00Z' };
  const STORED_SECRET = 'prm_stored';

  interface Setup {
    readonly tokens?: readonly ApiToken[];
    /** Whether the database has ever held a token: asked while the API is open. */
    readonly everCreated?: () => boolean;
    readonly options?: AuthOptions;
  }

  async function app({ tokens = [], everCreated = () => true, options }: Setup = {}): Promise<{ app: FastifyInstance; asked: () => number; isOpen: () => Promise<boolean> }> {
    let asked = 0;
    // Only the two reads the hook makes; the real repository needs a database.
    const stored = {
      anyEverCreated: async () => {
        asked++;
        return everCreated();
      },
      findByDigest: async (digest: string) => (digest === secretDigest(STORED_SECRET) ? STORED : undefined),
    } as unknown as TokenRepository;
    const instance = Fastify();
    const authenticator = registerAuth(instance, tokens, stored, options);
    instance.setErrorHandler((error, _request, reply) => {
      const problem = error instanceof AppError ? error : new AppError({ code: 'internal-error', status: 500, title: 'x', detail: String(error) });
      void reply.status(problem.status).headers(problem.headers ?? {}).send({ code: problem.code, detail: problem.detail });
    });
    const who = (request: { principal: unknown; scope: { principal: unknown } }) => ({ principal: request.principal, scoped: request.scope.principal === request.principal });
    instance.get('/public', { config: { access: 'public' } }, async (request) => who(request));
    instance.get('/undeclared', async (request) => who(request));
    instance.get('/viewer', { config: { access: { role: 'viewer', namespaces: 'none' } } }, async (request) => who(request));
    instance.get('/operator', { config: { access: { role: 'operator', namespaces: 'checked' } } }, async (request) => who(request));
    await instance.ready();
    return { app: instance, asked: () => asked, isOpen: () => authenticator.isOpen() };
  }

  const get = (instance: FastifyInstance, url: string, authorization?: string) =>
    instance.inject({ method: 'GET', url, ...(authorization === undefined ? {} : { headers: { authorization } }) });

  it('public and undeclared operations need no token, also when the API is closed', async () => {
    const { app: closed } = await app({ tokens: [ADMIN] });
    for (const url of ['/public', '/undeclared']) {
      const response = await get(closed, url, 'Bearer wrong');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ principal: ANONYMOUS, scoped: true });
    }
  });

  it('an open API lets everyone in as anonymous admin, also with a stray token, and asks the database every time', async () => {
    const { app: open, asked } = await app({ everCreated: () => false });
    expect((await get(open, '/operator')).json()).toEqual({ principal: { name: 'anonymous', role: 'admin' }, scoped: true });
    expect((await get(open, '/operator', 'Bearer stray')).statusCode).toBe(200);
    expect((await get(open, '/operator', 'Bearer stray')).json().principal).toMatchObject({ name: 'anonymous' });
    expect(asked()).toBe(3);
  });

  it('a token in the database closes the API for good: asked until it is, never after', async () => {
    let created = false;
    const { app: instance, asked } = await app({ everCreated: () => created });
    expect((await get(instance, '/viewer')).statusCode).toBe(200);
    created = true;
    expect((await get(instance, '/viewer')).statusCode).toBe(401);
    const askedWhenClosed = asked();
    created = false; // revoking every token does not reopen it
    expect((await get(instance, '/viewer')).statusCode).toBe(401);
    expect(asked()).toBe(askedWhenClosed);
  });

  it('tells the service whether the API is open (the first-token route asks)', async () => {
    expect(await (await app({ everCreated: () => false })).isOpen()).toBe(true);
    expect(await (await app({ everCreated: () => true })).isOpen()).toBe(false);
    expect(await (await app({ tokens: [ADMIN], everCreated: () => false })).isOpen()).toBe(false);
  });

  it('configured tokens close the API without asking the database', async () => {
    const { app: instance, asked } = await app({ tokens: [ADMIN], everCreated: () => false });
    expect((await get(instance, '/viewer')).statusCode).toBe(401);
    expect(asked()).toBe(0);
  });

  const closedCases: ReadonlyArray<[string, { authorization: string | undefined; url?: string; status: number; want: unknown }]> = [
    ['no header', { authorization: undefined, status: 401, want: { code: 'unauthorized', detail: 'Send Authorization: Bearer <token>.' } }],
    ['a Basic header', { authorization: 'Basic b3BzOmFkbWluLXNlY3JldA==', status: 401, want: { detail: 'The Authorization header is not a bearer token.' } }],
    ['Bearer without a token', { authorization: 'Bearer ', status: 401, want: { detail: 'The Authorization header is not a bearer token.' } }],
    ['two words after Bearer', { authorization: 'Bearer admin-secret extra', status: 401, want: { detail: 'The Authorization header is not a bearer token.' } }],
    ['text before Bearer', { authorization: 'x Bearer admin-secret', status: 401, want: { detail: 'The Authorization header is not a bearer token.' } }],
    ['an unknown token', { authorization: 'Bearer admin-secreT', status: 401, want: { detail: 'The bearer token is not valid.' } }],
    ['the first configured token', { authorization: 'Bearer admin-secret', status: 200, want: { principal: { name: 'ops', role: 'admin' }, scoped: true } }],
    ['the last configured token, with its namespaces', { authorization: 'Bearer viewer-secret', url: '/viewer', status: 200, want: { principal: { name: 'dash', role: 'viewer', namespaces: ['shop'] }, scoped: true } }],
    ['any case of "bearer", several spaces, trailing spaces', { authorization: 'bEaRer   admin-secret  ', status: 200, want: { principal: { name: 'ops' } } }],
    ['a stored token, unscoped (null namespaces)', { authorization: `Bearer ${STORED_SECRET}`, status: 200, want: { principal: { name: 'ci', role: 'operator' }, scoped: true } }],
    ['a role below the operation\'s', { authorization: 'Bearer viewer-secret', status: 403, want: { code: 'forbidden', detail: "Token 'dash' has role viewer; this needs operator." } }],
  ];
  it.each(closedCases)('closed API: %s', async (_name, { authorization, url = '/operator', status, want }) => {
    const { app: closed } = await app({ tokens: [ADMIN, VIEWER] });
    const response = await get(closed, url, authorization);
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject(want as object);
    if (status === 200) expect(response.json().principal).toEqual(expect.not.objectContaining({ namespaces: null }));
  });

  it('counts failed authentications, not refusals for role, and then refuses before looking at the token', async () => {
    const { app: closed } = await app({ tokens: [ADMIN, VIEWER], options: { failedAuthPerMinute: 2 } });
    for (let i = 0; i < 3; i++) expect((await get(closed, '/operator', 'Bearer viewer-secret')).statusCode).toBe(403);
    expect((await get(closed, '/operator')).statusCode).toBe(401);
    expect((await get(closed, '/operator', 'Bearer nope')).statusCode).toBe(401);
    const refused = await get(closed, '/operator', 'Bearer admin-secret');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('60');
  });

  it('allows 30 failed authentications a minute by default', async () => {
    const { app: closed } = await app({ tokens: [ADMIN] });
    for (let i = 0; i < 30; i++) expect((await get(closed, '/operator', 'Bearer nope')).statusCode).toBe(401);
    expect((await get(closed, '/operator', 'Bearer admin-secret')).statusCode).toBe(429);
  });
});
