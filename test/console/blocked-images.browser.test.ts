/**
 * The console's "Blocked images" page in a real browser (chromium through playwright-core) against the real
 * service and PostgreSQL: the nav link, each block's image, scope, reason, who and when, the link to the
 * promotion a failed check rolled back (an engine block), and lifted blocks under "Show: lifted".
 */
import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePolicy, samplePromotion, startTestService, type TestService } from '../fixtures/service.js';
import { launchBrowser, type TestBrowser, type WatchedPage } from './browser.js';

const ADMIN = { name: 'ops-admin', role: 'admin', secret: 'blocked-console-admin-secret-0123', namespaces: undefined } as const;

describe('console: blocked images', () => {
  let browser: TestBrowser;
  let svc: TestService;
  const pages: WatchedPage[] = [];
  const api = async (method: string, url: string, payload?: unknown) => {
    const response = await svc.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${ADMIN.secret}` }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
    return { status: response.statusCode, body: response.json() };
  };

  beforeAll(async () => {
    browser = await launchBrowser();
    svc = await startTestService({ listen: true, apiTokens: [ADMIN] });
    expect((await api('PUT', '/v1/policies/default', samplePolicy())).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('lists blocks with reason, who (a workload with its kind and issuer) and when, links an engine block to its promotion, and shows lifted ones on request', async () => {
    const manual = await api('POST', '/v1/blocked-images', { image: 'nginx:1.25', reason: 'CVE-2026-0001 in the base image', namespace: 'mcp' });
    expect(manual.status).toBe(201);
    const lifted = await api('POST', '/v1/blocked-images', { image: 'registry.example.com/app:0.9', reason: 'old' });
    expect((await api('DELETE', `/v1/blocked-images/${lifted.body.id}?reason=${encodeURIComponent('rebuilt on a fixed base')}`)).status).toBe(200);
    // An engine block (policy blockOnRollback) as the engine writes it: source rollback, naming its promotion.
    const promotion = await api('POST', '/v1/promotions', samplePromotion());
    expect(promotion.status).toBe(201);
    // The manual block as a workload would have added it (its identity, issue 25): the page names its kind and issuer.
    const workload = { kind: 'workload', key: 'https://ci.example#repo:org/app', subject: 'repo:org/app', issuer: 'https://ci.example', displayName: 'ops-admin' };
    await sql`UPDATE blocked_images SET created_by_identity = ${JSON.stringify(workload)}::jsonb WHERE id = ${manual.body.id}`.execute(svc.database.handle.db);
    const engineBlock = randomUUID();
    await sql`INSERT INTO blocked_images (id, image, normalized, repository, tag, namespace, reason, source, promotion_id, created_by)
      VALUES (${engineBlock}, 'registry.example.com/mcp/zai-proxy:1.2.1', 'registry.example.com/mcp/zai-proxy:1.2.1', 'registry.example.com/mcp/zai-proxy', '1.2.1',
        'mcp', ${`rolled back by promotion ${promotion.body.id}: post-rollout check failed`}, 'rollback', ${promotion.body.id}, 'engine')`.execute(svc.database.handle.db);

    const watched = await browser.newPage();
    pages.push(watched);
    const { page } = watched;
    await page.goto(`${svc.url}/ui/`);
    await page.getByLabel('API token').fill(ADMIN.secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.who').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Blocked images' }).click();
    await page.locator(`tr[data-block="${engineBlock}"]`).waitFor();
    expect(await page.getByRole('link', { name: 'Blocked images' }).getAttribute('aria-current')).toBe('page');

    const manualRow = page.locator(`tr[data-block="${manual.body.id}"]`);
    const manualText = await manualRow.textContent();
    for (const part of ['docker.io/library/nginx:1.25', 'mcp', 'CVE-2026-0001 in the base image', 'ops-admin', 'manual', 'active']) expect(manualText).toContain(part);
    expect(await manualRow.locator('time').getAttribute('datetime')).toBe(manual.body.createdAt);
    const creator = manualRow.locator('.actor[data-actor-kind="workload"]');
    expect(await creator.textContent()).toBe('ops-admin (workload)');
    expect(await creator.getAttribute('title')).toBe('workload · repo:org/app · https://ci.example');

    const engineRow = page.locator(`tr[data-block="${engineBlock}"]`);
    expect(await engineRow.textContent()).toContain('engine');
    expect(await engineRow.getByRole('link').getAttribute('href')).toBe(`/ui/promotions/${promotion.body.id}`);
    expect(await page.locator(`tr[data-block="${lifted.body.id}"]`).count()).toBe(0);

    await page.getByLabel('Show').selectOption('lifted');
    const liftedRow = page.locator(`tr[data-block="${lifted.body.id}"]`);
    await liftedRow.waitFor();
    expect(await liftedRow.textContent()).toContain('lifted by ops-admin');
    expect(await liftedRow.textContent()).toContain('rebuilt on a fixed base');
    expect(await page.locator(`tr[data-block="${manual.body.id}"]`).count()).toBe(0);
    expect(page.url()).toContain('/ui/blocked-images?state=lifted');

    // A link to a promotion goes to its page.
    await page.getByLabel('Show').selectOption('active');
    await page.locator(`tr[data-block="${engineBlock}"]`).getByRole('link').click();
    await page.locator('h1').filter({ hasText: 'zai-proxy' }).first().waitFor();
    expect(page.url()).toContain(`/ui/promotions/${promotion.body.id}`);
  }, 60_000);

  it('ran without a CSP violation or a script error', () => {
    expect(pages.flatMap((p) => p.violations)).toEqual([]);
    expect(pages.flatMap((p) => p.errors)).toEqual([]);
  });
});
