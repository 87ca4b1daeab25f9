/**
 * Console sessions through a real OpenID provider (test/fixtures/oidc-provider.ts), at the HTTP level, on
 * the embedded database (PGlite): the browser suite (test/console/oidc.browser.test.ts) covers PostgreSQL.
 * Last, a provider that does not answer (PostgreSQL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIdentityConfig } from '../../services/promoter/src/adapters/identity/identity-config.js';
import { openToken, sessionSealingKey } from '../../services/promoter/src/adapters/db/sealed-token.js';
import { idDigest } from '../../services/promoter/src/adapters/db/session-store.js';
import { CLIENT_ID, peopleIdentityConfig, startOidcProvider, type TestOidcProvider } from '../fixtures/oidc-provider.js';
import { CookieJar, send, signInThroughProvider } from '../fixtures/oidc-sign-in.js';
import { freePort } from '../fixtures/ports.js';
import { startTestService, type TestService } from '../fixtures/service.js';

const ADMIN_TOKEN = 'admin-token-for-oidc-sessions-0123456789';

describe('console sessions (OIDC sign-in) on PGlite', () => {
  let idp: TestOidcProvider;
  let svc: TestService;

  beforeAll(async () => {
    idp = await startOidcProvider();
    const identity = peopleIdentityConfig(idp.issuer);
    svc = await startTestService({ engine: 'pglite', listen: true, identity, apiTokens: [{ name: 'admin', role: 'admin', secret: ADMIN_TOKEN, namespaces: undefined }] });
    await idp.registerRedirect(`${svc.url}/auth/callback`, `${svc.url}/ui/`);
  }, 60_000);
  afterAll(async () => {
    await svc?.close();
    await idp?.close();
  });

  it('signs sre-sam in: the session cookie authenticates GET /v1/me as the admin person with a CSRF token', async () => {
    const jar = new CookieJar();
    const { finalLocation } = await signInThroughProvider(jar, `${svc.url}/auth/login?returnTo=/ui/policies`, 'sre-sam');
    expect(finalLocation).toBe('/ui/policies');
    expect(jar.get(svc.url, 'promoter_session')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const me = await send(jar, `${svc.url}/v1/me`);
    expect(me.status).toBe(200);
    const body = (await me.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ name: 'Sam SRE', role: 'admin', namespaces: null, open: false, signIn: { provider: 'Test IdP', loginUrl: '/auth/login' } });
    expect((body.session as { csrfToken: string }).csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a POST by the session cookie without the CSRF token (403 csrf-token-invalid) and accepts it with the token', async () => {
    const jar = new CookieJar();
    await signInThroughProvider(jar, `${svc.url}/auth/login`, 'sre-sam');
    const me = (await (await send(jar, `${svc.url}/v1/me`)).json()) as { session: { csrfToken: string } };
    const create = (headers: Record<string, string>, name: string) =>
      send(jar, `${svc.url}/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ name, role: 'viewer' }) });
    const without = await create({}, 'made-without-csrf');
    expect(without.status).toBe(403);
    expect(((await without.json()) as { type: string }).type).toBe('urn:promoter:problem:csrf-token-invalid');
    const wrong = await create({ 'x-csrf-token': 'not-the-token' }, 'made-with-wrong-csrf');
    expect(wrong.status).toBe(403);
    const right = await create({ 'x-csrf-token': me.session.csrfToken }, 'made-with-csrf');
    expect(right.status).toBe(201);
  });

  it('gives no session for a callback this browser did not start, nor for the same callback used twice', async () => {
    const jar = new CookieJar();
    const { steps } = await signInThroughProvider(jar, `${svc.url}/auth/login`, 'mcp-maria');
    const callback = steps.find((step) => step.url.startsWith(`${svc.url}/auth/callback`));
    expect(callback?.location).toBe('/ui/');
    // Replayed with the same sign-in cookie (which the first use cleared): the attempt was used up.
    const again = await fetch(callback!.url, { redirect: 'manual', headers: { cookie: `promoter_sign_in=${jar.last('promoter_sign_in')!}` } });
    expect(again.headers.get('location')).toBe('/ui/?signIn=expired');
    expect(again.headers.getSetCookie().some((line) => line.startsWith('promoter_session='))).toBe(false);
    // In another browser (no sign-in cookie): an attacker's code cannot sign a victim in.
    const other = new CookieJar();
    const foreign = await send(other, callback!.url);
    expect(foreign.headers.get('location')).toBe('/ui/?signIn=expired');
    expect(other.get(svc.url, 'promoter_session')).toBeUndefined();
  });

  it('signs out through POST /auth/logout with the CSRF token: the answer names the provider\'s end-session URL and the old cookie gets 401', async () => {
    const jar = new CookieJar();
    await signInThroughProvider(jar, `${svc.url}/auth/login`, 'sre-sam');
    const cookie = jar.get(svc.url, 'promoter_session')!;
    const me = (await (await send(jar, `${svc.url}/v1/me`)).json()) as { session: { csrfToken: string } };
    const refused = await send(jar, `${svc.url}/auth/logout`, { method: 'POST', headers: { accept: 'application/json' } });
    expect(refused.status).toBe(403);
    const out = await send(jar, `${svc.url}/auth/logout`, { method: 'POST', headers: { accept: 'application/json', 'x-csrf-token': me.session.csrfToken } });
    expect(out.status).toBe(200);
    const { redirect } = (await out.json()) as { redirect: string };
    expect(redirect.startsWith(`${idp.issuer}/session/end?`)).toBe(true);
    expect(new URL(redirect).searchParams.get('post_logout_redirect_uri')).toBe(`${svc.url}/ui/`);
    expect(jar.get(svc.url, 'promoter_session')).toBeUndefined();
    expect((await fetch(`${svc.url}/v1/me`, { headers: { cookie: `promoter_session=${cookie}` } })).status).toBe(401);
  });

  it('logs and counts sign-ins and refusals, and no log line holds the session id, the ID token or the refresh token', async () => {
    const jar = new CookieJar();
    await signInThroughProvider(jar, `${svc.url}/auth/login`, 'sre-sam');
    await signInThroughProvider(new CookieJar(), `${svc.url}/auth/login`, 'nobody-ned');
    const sessionId = jar.get(svc.url, 'promoter_session')!;
    const row = await svc.database.handle.db.selectFrom('console_sessions').select(['sealed_id_token', 'sealed_refresh_token']).where('id_sha256', '=', idDigest(sessionId)).executeTakeFirstOrThrow();
    const key = sessionSealingKey(sessionId);
    const secrets = [sessionId, openToken(key, 'id_token', row.sealed_id_token ?? ''), openToken(key, 'refresh_token', row.sealed_refresh_token ?? '')];
    expect(secrets.every((secret) => typeof secret === 'string' && secret.length > 20), 'the session id and both provider tokens').toBe(true);
    expect(svc.logs.some((line) => line.includes('"console sign-in"') && line.includes('Sam SRE'))).toBe(true);
    expect(svc.logs.some((line) => line.includes('no claim rule matches') && line.includes('nobody-ned'))).toBe(true);
    expect(secrets.filter((secret) => svc.logs.some((line) => line.includes(secret as string)))).toEqual([]);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/promoter_console_sign_ins_total\{outcome="signed_in"\} [1-9]/);
    expect(metrics).toMatch(/promoter_console_sign_ins_total\{outcome="no_access"\} [1-9]/);
  });

  it("keeps the provider's tokens sealed under the cookie's id: the table alone opens neither, another session's id neither, and an altered row ends the session", async () => {
    const jar = new CookieJar();
    await signInThroughProvider(jar, `${svc.url}/auth/login`, 'sre-sam');
    const other = new CookieJar();
    await signInThroughProvider(other, `${svc.url}/auth/login`, 'sre-sam');
    const sessionId = jar.get(svc.url, 'promoter_session')!;
    const otherId = other.get(svc.url, 'promoter_session')!;
    const db = svc.database.handle.db;
    const row = await db.selectFrom('console_sessions').selectAll().where('id_sha256', '=', idDigest(sessionId)).executeTakeFirstOrThrow();
    const sealedRefresh = row.sealed_refresh_token ?? '';
    const sealedId = row.sealed_id_token ?? '';
    // What the table holds is neither a JWT nor anything with the tokens in clear.
    const refreshToken = openToken(sessionSealingKey(sessionId), 'refresh_token', sealedRefresh);
    const idToken = openToken(sessionSealingKey(sessionId), 'id_token', sealedId);
    expect(idToken?.split('.')).toHaveLength(3);
    expect(refreshToken?.length).toBeGreaterThan(20);
    const table = JSON.stringify(await db.selectFrom('console_sessions').selectAll().execute());
    expect(table).not.toContain(idToken);
    expect(table).not.toContain(refreshToken);
    expect(table).not.toContain(sessionId);
    expect(table).not.toMatch(/eyJ[\w-]+\.eyJ/);
    // Another session's id does not open them, nor does the column's digest, nor one column as the other.
    expect(openToken(sessionSealingKey(otherId), 'refresh_token', sealedRefresh)).toBeUndefined();
    expect(openToken(sessionSealingKey(row.id_sha256), 'refresh_token', sealedRefresh)).toBeUndefined();
    expect(openToken(sessionSealingKey(sessionId), 'id_token', sealedRefresh)).toBeUndefined();

    // A row whose sealed token was swapped for another session's: the session ends (401), the other goes on.
    const otherRow = await db.selectFrom('console_sessions').select('sealed_refresh_token').where('id_sha256', '=', idDigest(otherId)).executeTakeFirstOrThrow();
    expect((await send(jar, `${svc.url}/v1/me`)).status).toBe(200);
    await db.updateTable('console_sessions').set({ sealed_refresh_token: otherRow.sealed_refresh_token }).where('id_sha256', '=', idDigest(sessionId)).execute();
    expect((await send(jar, `${svc.url}/v1/me`)).status).toBe(401);
    expect(await db.selectFrom('console_sessions').select('id_sha256').where('id_sha256', '=', idDigest(sessionId)).executeTakeFirst()).toBeUndefined();
    expect((await send(other, `${svc.url}/v1/me`)).status).toBe(200);
  });

  it('says through GET /v1/sign-in, without any credential, which provider people sign in with', async () => {
    const response = await fetch(`${svc.url}/v1/sign-in`);
    expect(await response.json()).toEqual({ oidc: { provider: 'Test IdP', loginUrl: '/auth/login', logoutUrl: '/auth/logout' } });
  });
});

describe('console sign-in while the OpenID provider is down', () => {
  let svc: TestService;

  beforeAll(async () => {
    const closed = await freePort();
    const identity = parseIdentityConfig(
      JSON.stringify({ people: { issuer: `http://127.0.0.1:${closed}`, clientId: CLIENT_ID, rules: [{ claims: { groups: 'sre' }, role: 'admin' }] } }),
      'identity.json',
    );
    svc = await startTestService({ identity, rateLimitPerMinute: 3 });
  });
  afterAll(() => svc?.close());

  it('answers GET /auth/login with 503 problem+json identity-provider-unavailable naming the issuer, and sets no cookie', async () => {
    const response = await svc.app.inject({ method: 'GET', url: '/auth/login?returnTo=/ui/' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ code: 'identity-provider-unavailable', detail: expect.stringContaining('http://127.0.0.1:') });
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('limits sign-in starts per address like any request (each stores an attempt), while health checks stay unlimited', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await svc.app.inject({ method: 'GET', url: '/auth/login', remoteAddress: '203.0.113.9' })).statusCode);
    expect(statuses).toEqual([503, 503, 503]);
    const limited = await svc.app.inject({ method: 'GET', url: '/auth/login', remoteAddress: '203.0.113.9' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('rate-limited');
    for (let i = 0; i < 5; i++) expect((await svc.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '203.0.113.9' })).statusCode).toBe(200);
  });
});
