/**
 * People sign in to the console through a real OpenID provider (oidc-provider on loopback, its own login
 * page), in Chromium, against the service on PostgreSQL: each person's grant (admin; operator of mcp; no
 * rule), what each sees, CSRF refusals from the page, sign-out, a session the provider ends (a disabled
 * person's refresh is refused), and a returnTo that would leave the service.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peopleIdentityConfig, startOidcProvider, type TestOidcProvider } from '../fixtures/oidc-provider.js';
import { samplePolicy, samplePromotion, startTestService, type TestService } from '../fixtures/service.js';
import { launchBrowser, type TestBrowser, type WatchedPage } from './browser.js';

const ADMIN = { name: 'ops-admin', role: 'admin', secret: 'admin-secret-for-oidc-browser-0123456789', namespaces: undefined } as const;
const RECHECK_MS = 2_000;

describe('console sign-in through an OpenID provider (Chromium, PostgreSQL)', () => {
  let browser: TestBrowser;
  let idp: TestOidcProvider;
  let svc: TestService;
  const pages: WatchedPage[] = [];
  const promotions: Record<'mcp' | 'shop', string> = { mcp: '', shop: '' };

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${svc.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN.secret}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  /** A fresh browser (no cookies) that signs in as `user` at the provider, starting from `path` of the console. */
  const signIn = async (user: string, path = '/ui/'): Promise<Page> => {
    const watched = await browser.newPage();
    pages.push(watched);
    const { page } = watched;
    await page.goto(`${svc.url}${path}`);
    const button = page.getByRole('link', { name: 'Sign in with Test IdP' });
    await button.click();
    await page.waitForURL((url) => url.href.startsWith(idp.issuer));
    await page.getByLabel('User').fill(user);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.href.startsWith(svc.url));
    return page;
  };
  const sessionCookie = async (page: Page) => (await page.context().cookies(svc.url)).find((cookie) => cookie.name === 'promoter_session');

  beforeAll(async () => {
    browser = await launchBrowser();
    idp = await startOidcProvider();
    const identity = peopleIdentityConfig(idp.issuer, { sessionRecheck: `${RECHECK_MS / 1000}s` });
    svc = await startTestService({ listen: true, identity, apiTokens: [ADMIN] });
    await idp.registerRedirect(`${svc.url}/auth/callback`, `${svc.url}/ui/`);
    expect((await api('PUT', '/v1/policies/default', samplePolicy())).status).toBe(201);
    for (const namespace of ['mcp', 'shop'] as const) {
      const created = await api('POST', '/v1/promotions', samplePromotion({ target: { namespace, deployment: 'web', container: 'app' }, image: `registry.example.com/${namespace}/web:2.0.0` }));
      expect(created.status).toBe(201);
      promotions[namespace] = created.body.id as string;
    }
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.close();
    await idp?.close();
  });

  it('offers "Sign in with Test IdP" instead of the token box, and signs sre-sam in as admin: his name, and the promotions of every namespace', async () => {
    const watched = await browser.newPage();
    pages.push(watched);
    await watched.page.goto(`${svc.url}/ui/`);
    await watched.page.getByRole('link', { name: 'Sign in with Test IdP' }).waitFor();
    expect(await watched.page.locator('input[name="token"]').count()).toBe(0);

    const page = await signIn('sre-sam');
    const who = page.locator('.who[data-role="admin"]');
    await who.waitFor();
    expect(await who.textContent()).toContain('Sam SRE (admin)');
    await page.locator(`tr[data-promotion="${promotions.mcp}"]`).waitFor();
    await page.locator(`tr[data-promotion="${promotions.shop}"]`).waitFor();
    const cookie = await sessionCookie(page);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false });
    // The cookie is the only credential: nothing in sessionStorage, nothing in the URL.
    expect(await page.evaluate(() => sessionStorage.getItem('promoter.token'))).toBeNull();
    expect(page.url()).toBe(`${svc.url}/ui/`);
  });

  it('signs mcp-maria in as operator of mcp: only the mcp promotion is listed, the shop one is not found, and she may abort the mcp one', async () => {
    const page = await signIn('mcp-maria', '/ui/promotions');
    await page.locator('.who[data-role="operator"]').waitFor();
    expect(await page.locator('.who').textContent()).toContain('Maria MCP (operator: mcp)');
    expect(page.url()).toBe(`${svc.url}/ui/promotions`);
    await page.locator(`tr[data-promotion="${promotions.mcp}"]`).waitFor();
    expect(await page.locator(`tr[data-promotion="${promotions.shop}"]`).count()).toBe(0);
    expect(await page.locator('tr[data-promotion]').count()).toBe(1);

    await page.goto(`${svc.url}/ui/promotions/${promotions.shop}`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/not found/i);

    await page.goto(`${svc.url}/ui/promotions/${promotions.mcp}`);
    await page.locator('button[data-action="abort"]').waitFor();
  });

  it("lets mcp-maria abort an mcp promotion with the page's own button (the console sends the session's CSRF token), recorded under her name", async () => {
    const created = await api('POST', '/v1/promotions', samplePromotion({ target: { namespace: 'mcp', deployment: 'button', container: 'app' } }));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const page = await signIn('mcp-maria', `/ui/promotions/${id}`);
    await page.locator('button[data-action="abort"]').click();
    await page.getByLabel('Reason (kept in the audit trail)').fill('maria stops it');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Yes, abort' }).click();
    await page.locator('h1 .badge[data-state="aborted"]').waitFor({ timeout: 30_000 });
    const detail = (await api('GET', `/v1/promotions/${id}`)).body as { events: { actor: string; reason: string | null }[] };
    expect(detail.events.some((e) => e.actor === 'Maria MCP' && e.reason === 'maria stops it')).toBe(true);
  });

  it('refuses a state change by the session cookie without or with a wrong CSRF header (403), and accepts it with the right one', async () => {
    const created = await api('POST', '/v1/promotions', samplePromotion({ target: { namespace: 'mcp', deployment: 'csrf', container: 'app' } }));
    expect(created.status).toBe(201);
    const page = await signIn('mcp-maria');
    await page.locator('.who[data-role="operator"]').waitFor();
    const results = await page.evaluate(async (id) => {
      const abort = async (headers: Record<string, string>) => {
        const response = await fetch(`/v1/promotions/${id}/abort`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ reason: 'csrf test' }) });
        return { status: response.status, code: ((await response.json()) as { code?: string }).code };
      };
      const me = (await (await fetch('/v1/me')).json()) as { session: { csrfToken: string } };
      return { without: await abort({}), wrong: await abort({ 'x-csrf-token': 'forged' }), right: await abort({ 'x-csrf-token': me.session.csrfToken }) };
    }, created.body.id as string);
    expect(results.without).toEqual({ status: 403, code: 'csrf-token-invalid' });
    expect(results.wrong).toEqual({ status: 403, code: 'csrf-token-invalid' });
    expect(results.right.status).toBe(200);
    expect((await api('GET', `/v1/promotions/${created.body.id as string}`)).body.state).toBe('aborted');
  });

  it('gives nobody-ned, whom no rule grants anything, no session and a page saying his account has no access', async () => {
    const page = await signIn('nobody-ned');
    await page.locator('.sign-in-notice').waitFor();
    expect(await page.locator('.sign-in-notice').textContent()).toContain('your account has no access to this service');
    expect(new URL(page.url()).search).toBe('?signIn=no-access');
    expect(await sessionCookie(page)).toBeUndefined();
    expect(await page.locator('.who').count()).toBe(0);
  });

  it('signs out: the session ends at the service (the old cookie gets 401), the provider ends its own, and the browser comes back to the console\'s sign-in', async () => {
    const page = await signIn('sre-sam');
    await page.locator('.who[data-role="admin"]').waitFor();
    const cookie = await sessionCookie(page);
    expect(cookie).toBeDefined();
    const withOldCookie = () => fetch(`${svc.url}/v1/me`, { headers: { cookie: `promoter_session=${cookie!.value}` } });
    expect((await withOldCookie()).status).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${idp.issuer}/session/end`));
    expect((await withOldCookie()).status).toBe(401);
    expect(await sessionCookie(page)).toBeUndefined();
    // The provider ends its own session and sends the browser back to the console, which asks to sign in.
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${svc.url}/ui/`);
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).waitFor();
  });

  it('ends the session when the provider refuses its refresh (the person was disabled there): the next request after the re-check gets 401 and the console asks to sign in', async () => {
    const page = await signIn('leaving-lea');
    await page.locator('.who[data-role="operator"]').waitFor();
    const cookie = (await sessionCookie(page))!;
    const withCookie = () => fetch(`${svc.url}/v1/me`, { headers: { cookie: `promoter_session=${cookie.value}` } });
    await new Promise((resolve) => setTimeout(resolve, RECHECK_MS + 200));
    // Re-checked with the provider, which still vouches for her: the session goes on.
    expect((await withCookie()).status).toBe(200);
    idp.disable('leaving-lea');
    await new Promise((resolve) => setTimeout(resolve, RECHECK_MS + 200));
    expect((await withCookie()).status).toBe(401);
    await page.reload();
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).waitFor();
    expect(svc.logs.some((line) => line.includes('the identity provider refused its refresh'))).toBe(true);
  });

  it.each([['another origin', 'https://evil.example/ui/'], ['a scheme-relative URL', '//evil.example/ui/']])('returns to the console, not to %s, after a sign-in asked to return there', async (_name, returnTo) => {
    const watched = await browser.newPage();
    pages.push(watched);
    const { page } = watched;
    await page.goto(`${svc.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
    await page.getByLabel('User').fill('sre-sam');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => !url.href.startsWith(idp.issuer));
    expect(page.url()).toBe(`${svc.url}/ui/`);
    await page.locator('.who[data-role="admin"]').waitFor();
  });

  it('ran every page without a CSP violation or a script error', () => {
    expect(pages.flatMap((p) => p.violations)).toEqual([]);
    // mcp-maria opens the shop promotion on purpose: the API answers 404, which the browser logs.
    const expected = (error: string) => error.includes('the server responded with a status of 404');
    expect(pages.flatMap((p) => p.errors.filter((error) => !expected(error)).map((error) => `${p.page.url()} ${error}`))).toEqual([]);
  });
});
