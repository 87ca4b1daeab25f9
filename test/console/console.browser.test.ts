/**
 * The web console in a real browser (chromium through playwright-core) against the real service: Postgres,
 * the fake Kubernetes API with its rollout controller, a real Prometheus scraping an exporter the test
 * controls (and a backfilled past incident for the backtest), and the engine. Each scenario uses its own
 * namespace. Screenshots of the list, a rolled-back promotion and a chart of errors are compared with the
 * committed ones in docs/images/ and fail on a real difference (screenshots.ts says how to accept one).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from '../../services/promoter/src/adapters/prometheus/prometheus-client.js';
import type { PromotionEngine } from '../../services/promoter/src/engine/promotion-engine.js';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { startEngine, fakeKubeClient } from '../fixtures/engine.js';
import { newTestPromotion, putTestPolicy } from '../fixtures/database.js';
import { PromotionRepository, type NewPromotion } from '../../services/promoter/src/adapters/db/promotion-repository.js';
import { PromotionStore } from '../../services/promoter/src/adapters/db/promotion-store.js';
import type { NumberedMeasurement } from '../../services/promoter/src/domain/judge/index.js';
import { checkStep } from '../../services/promoter/src/domain/step-outcome.js';
import { startExporter, type Exporter } from '../fixtures/exporter.js';
import { startPrometheus, type PrometheusInstance } from '../fixtures/prometheus.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import type { ChartData } from '../../packages/console/app/lib/chart-data.js';
import { launchBrowser, type TestBrowser, type WatchedPage } from './browser.js';
import { compareScreenshot, volatileBoxes } from './screenshots.js';

declare global {
  interface Window {
    /** What each chart of the console draws (packages/console/app/components/check-chart.tsx). */
    __promoterCharts?: Record<string, ChartData>;
  }
}

const IMAGES = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/images');
const TOKENS = {
  admin: { name: 'ops-admin', role: 'admin', secret: 'admin-secret-0123456789abcdef', namespaces: undefined },
  operator: { name: 'alice', role: 'operator', secret: 'operator-secret-0123456789abcdef', namespaces: undefined },
  viewer: { name: 'victor', role: 'viewer', secret: 'viewer-secret-0123456789abcdef', namespaces: undefined },
} as const;
const NAMESPACES = ['live', 'watch', 'abort', 'rollback', 'frozen'];
const POLICY = {
  description: 'Error ratio of the canary, then of production during the rollout and the bake',
  interval: '1s',
  bake: '3s',
  rolloutTimeout: '10s',
  checks: [{ name: 'error-rate', phases: ['pre', 'rollout', 'post'], query: 'max(app_error_ratio{namespace="{{namespace}}",variant="{{variant}}"})', max: 0.05 }],
};

// A past incident for the backtest: 30 quiet minutes, then 30 minutes of errors, ending two hours ago (whole minutes).
const NOW = Math.floor(Date.now() / 60_000) * 60;
const HISTORY_START = NOW - 3 * 3600;
const INCIDENT_START = HISTORY_START + 1800;
const HISTORY_END = NOW - 2 * 3600;
// Long enough to wrap at phone width; hyphens inside its pieces, where a browser would break a word.
const LONG_IMAGE = 'registry.example.com:5000/platform-team/very-long-service:1.2.3-rc.1';
const BACKTEST_POLICY = { interval: '2m', checks: [{ name: 'past-error-rate', query: 'max(past_error_ratio{namespace="{{namespace}}",variant="{{variant}}"})', max: 0.05 }] };

/**
 * A promotion of `ns/<deployment>` under the fixture policy (one check `up`, min 1) whose one step measured
 * as given and moved to analyzing, written as the engine writes a step; on a service without an engine the
 * record stays so, and its page stays live (it follows the events and re-reads the record).
 */
async function seedStep(
  service: TestService,
  deployment: string,
  samples: readonly { sample: number; result: 'pass' | 'fail' | 'error' | 'inconclusive'; value: number | null; message: string; measuredAt: Date }[],
  overrides: Partial<NewPromotion> = {},
): Promise<string> {
  const db = service.database.handle.db;
  await putTestPolicy(db); // the same document again stores nothing new
  const { promotion } = await new PromotionRepository(db).create({ ...newTestPromotion(deployment), ...overrides });
  const store = new PromotionStore(db);
  const claimed = (await store.claim('console-test', 50, 60_000)).find((p) => p.id === promotion.id);
  expect(claimed).toBeDefined();
  const measurements = samples.map(({ sample, ...m }): NumberedMeasurement => ({
    sample,
    measurement: { check: 'up', kind: 'threshold', phase: 'pre', query: 'up', baselineQuery: null, warnings: [], baselineValue: null, bound: 'min 1', ...m },
  }));
  const step = checkStep('pending', { transition: { to: 'analyzing', reason: 'measuring' }, measurements, nextRunInMs: 3_600_000 });
  expect(await store.complete(claimed!, 'console-test', step)).toBe(true);
  return promotion.id;
}

describe('web console in a real browser', () => {
  let exporter: Exporter;
  let prometheus: PrometheusInstance;
  let kube: FakeKube;
  let svc: TestService;
  let engine: PromotionEngine;
  let browser: TestBrowser;
  const pages: WatchedPage[] = [];

  const api = async (token: keyof typeof TOKENS, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
    const response = await svc.app.inject({ method, url, headers: { authorization: `Bearer ${TOKENS[token].secret}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: response.statusCode, body: (response.body === '' ? {} : response.json()) as Record<string, unknown> & { id: string; state: string } };
  };
  const promote = async (namespace: string, policy = 'web') => {
    const { status, body } = await api('operator', 'POST', '/v1/promotions', {
      target: { namespace, deployment: 'web', container: 'app' },
      source: { deployment: 'web-canary', tagSuffixToStrip: '-canary' },
      policy,
      reason: `console ${namespace}`,
    });
    expect(status, JSON.stringify(body)).toBe(201);
    return body.id;
  };
  // The API is closed (tokens configured), so the fixture's tokenless waitForState cannot read it.
  const waitForState = async (id: string, states: readonly string[], timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    let last: { state: string } | undefined;
    while (Date.now() < deadline) {
      last = (await api('viewer', 'GET', `/v1/promotions/${id}`)).body;
      if (states.includes(last.state)) return last;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`promotion ${id} did not reach ${states.join('|')} within ${timeoutMs} ms; last: ${JSON.stringify(last).slice(0, 2000)}`);
  };
  const image = (namespace: string) => kube.getDeployment(namespace, 'web')?.spec.template.spec.containers[0]?.image;
  const open = async (role: keyof typeof TOKENS, path: string, options: { width?: number; colorScheme?: 'light' | 'dark' } = {}) => {
    const watched = await browser.newPage(options);
    pages.push(watched);
    await watched.page.goto(`${svc.url}/ui/`);
    await signIn(watched, TOKENS[role].secret);
    await watched.page.locator('.who').waitFor();
    if (path !== '/ui/') await watched.page.goto(`${svc.url}${path}`);
    return watched;
  };
  /** Shoots the viewport, a fixed part of the whole page, or one element, and compares it with docs/images. */
  const screenshot = async (page: Page, name: string, shot: Locator | { clip: { x: number; y: number; width: number; height: number } } | 'viewport', alsoVolatile?: string) => {
    const png =
      shot === 'viewport' ? await page.screenshot() : 'clip' in shot ? await page.screenshot({ fullPage: true, clip: shot.clip }) : await shot.screenshot();
    const ignore = await volatileBoxes(page, shot === 'viewport' ? 'viewport' : 'clip' in shot ? 'fullPage' : shot, alsoVolatile);
    const compared = await compareScreenshot(browser.browser, png, join(IMAGES, name), ignore);
    console.log(`docs/images/${name}: ${(compared.difference * 100).toFixed(3)}% of compared pixels differ (${ignore.length} volatile boxes left out), ${compared.written ? 'accepted and written' : 'matches'}`);
  };
  const signIn = async (watched: WatchedPage, secret: string) => {
    await watched.page.getByLabel('API token').fill(secret);
    await watched.page.getByRole('button', { name: 'Sign in' }).click();
  };

  beforeAll(async () => {
    // First, so a machine without chromium fails here with the install hint before anything else starts.
    browser = await launchBrowser();
    exporter = await startExporter();
    kube = await startFakeKube();
    for (const ns of NAMESPACES) {
      exporter.set('app_error_ratio', { namespace: ns, variant: 'canary' }, 0.01);
      exporter.set('app_error_ratio', { namespace: ns, variant: 'production' }, 0.01);
      kube.addDeployment({ namespace: ns, name: 'web', containers: [{ name: 'app', image: 'registry.example/web:1.0.0' }], replicas: 3 });
      kube.addDeployment({ namespace: ns, name: 'web-canary', containers: [{ name: 'app', image: 'registry.example/web:1.1.0-canary' }], replicas: 1 });
    }
    const history = (value: (t: number) => number) => {
      const samples: [number, number][] = [];
      for (let t = HISTORY_START; t <= HISTORY_END; t += 15) samples.push([t, value(t)]);
      return samples;
    };
    prometheus = await startPrometheus({
      targets: [exporter.target],
      backfill: [{ name: 'past_error_ratio', labels: { namespace: 'shop', variant: 'canary' }, samples: history((t) => (t >= INCIDENT_START ? 0.2 : 0.01)) }],
    });
    await prometheus.waitForSeries('app_error_ratio{namespace="live",variant="canary"}');
    const promClient = new PrometheusClient({ baseUrl: prometheus.url, retries: 0 });
    svc = await startTestService({
      listen: true,
      prometheus: promClient,
      kube: fakeKubeClient(kube),
      apiTokens: Object.values(TOKENS),
      streamPollMs: 100,
    });
    expect((await api('admin', 'PUT', '/v1/policies/web', POLICY)).status).toBe(201);
    expect((await api('admin', 'PUT', '/v1/policies/web', { ...POLICY, bake: '4s' })).status).toBe(200); // a new version of an existing policy
    expect((await api('admin', 'PUT', '/v1/policies/long-bake', { ...POLICY, bake: '120s' })).status).toBe(201);
    expect((await api('admin', 'PUT', '/v1/policies/backtest', BACKTEST_POLICY)).status).toBe(201);
    engine = startEngine(svc, kube, promClient);
    mkdirSync(IMAGES, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await engine?.stop();
    await svc?.close();
    await prometheus?.stop();
    await kube?.close();
    await exporter?.close();
  });

  it('serves the console with the strict CSP, hashed immutable assets and an uncached index.html', async () => {
    const root = await fetch(`${svc.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui/');
    const index = await fetch(`${svc.url}/ui/promotions/00000000-0000-4000-8000-000000000000`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("script-src-attr 'none'");
    expect(csp).not.toContain('unsafe-eval');
    const html = await index.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/); // no inline script
    const script = /src="(\/ui\/assets\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${svc.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    // The whole first load's JavaScript is this one file: within the 150 KB gzipped budget.
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    expect(Number(asset.headers.get('content-length'))).toBeLessThan(150 * 1024);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect((await fetch(`${svc.url}/ui/assets/app-MISSING.js`)).status).toBe(404);
  });

  it('shows a clear sign-in error for a bad token, and signs in with a good one', async () => {
    const watched = await browser.newPage();
    pages.push(watched);
    await watched.page.goto(`${svc.url}/ui/`);
    await signIn(watched, 'not-a-real-token');
    const error = watched.page.locator('.sign-in-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('The API did not accept this token');
    expect(await watched.page.evaluate(() => sessionStorage.getItem('promoter.token'))).toBeNull();
    await signIn(watched, TOKENS.viewer.secret);
    await watched.page.locator('.who[data-role="viewer"]').waitFor();
    // Kept for the tab only, never in the URL or a cookie.
    expect(await watched.page.evaluate(() => sessionStorage.getItem('promoter.token'))).toBe(TOKENS.viewer.secret);
    expect(watched.page.url()).not.toContain(TOKENS.viewer.secret);
    expect(await watched.context.cookies()).toEqual([]);
  });

  it('shows a promotion created through the API in the open list without a reload and walks it to succeeded live', async () => {
    const watched = await open('operator', '/ui/');
    const { page } = watched;
    await page.locator('table.promotions, p.muted:has-text("No promotions")').first().waitFor();
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    // Live through the event feed (GET /v1/events), not by reading the list again.
    const reads: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/v1/promotions') reads.push(request.url());
    });
    const id = await promote('live');
    const row = page.locator(`tr[data-promotion="${id}"]`);
    await row.waitFor({ timeout: 15_000 });
    await page.locator(`tr[data-promotion="${id}"][data-state="succeeded"]`).waitFor({ timeout: 60_000 });
    expect(reads).toEqual([]);
    expect(await page.locator('table.promotions').getAttribute('data-live')).toBe('stream');
    expect(await row.locator('.badge').textContent()).toBe('succeeded');
    expect(await row.textContent()).toContain('registry.example/web:1.0.0 → registry.example/web:1.1.0');
    expect(await row.textContent()).toContain('alice');
    expect(await row.locator('time').textContent()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    // The same page all along: the marker set before the promotion existed is still there.
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
    // Filters live in the URL.
    await page.getByLabel('Namespace').fill('live');
    await page.getByLabel('Namespace').press('Enter');
    await page.waitForURL(/namespace=live/);
    await page.locator(`tr[data-promotion="${id}"]`).waitFor();
    // At phone width the list reflows instead of overflowing the screen. Here a proxy answers the event
    // stream with JSON: the list falls back to reading itself every two seconds, and says so.
    const phone = await open('viewer', '/ui/?namespace=live', { width: 390 });
    await phone.page.route(/\/v1\/events/, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: '{}' }));
    await phone.page.reload();
    await phone.page.locator(`tr[data-promotion="${id}"]`).waitFor();
    await phone.page.locator('table.promotions[data-live="polling"]').waitFor({ timeout: 15_000 });
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  }, 90_000);

  it("draws one point per measurement and the bound line on a promotion's chart, with its PromQL", async () => {
    // The rollout stalls first, so the page shows its progress while promoting.
    kube.setRollout('watch', 'web', { stall: true });
    const id = await promote('watch');
    await waitForState(id, ['promoting'], 60_000);
    const { page } = await open('viewer', `/ui/promotions/${id}`, { colorScheme: 'dark' });
    const rollout = page.locator('[data-rollout]');
    await rollout.waitFor();
    expect(await rollout.textContent()).toMatch(/\d updated, \d available of 3/);
    kube.setRollout('watch', 'web', { stall: false });
    await page.locator('h1 .badge[data-state="succeeded"]').waitFor({ timeout: 60_000 });
    // A success's reason is in the success's colour (the badge's green), not in red.
    const reason = page.locator('.state-reason[data-tone="good"]');
    await reason.waitFor();
    const colours = await page.evaluate(() => ({
      reason: getComputedStyle(document.querySelector('.state-reason')!).color,
      badge: getComputedStyle(document.querySelector('h1 .badge')!).color,
    }));
    expect(colours.reason).toBe(colours.badge);
    const detail = (await api('viewer', 'GET', `/v1/promotions/${id}`)).body as unknown as {
      checkResults: { check: string; query: string; measuredAt: string; id: number }[];
    };
    const measured = detail.checkResults.filter((r) => r.check === 'error-rate');
    expect(measured.length).toBeGreaterThan(3);
    const chart = page.locator('[data-chart="error-rate"]');
    await chart.waitFor();
    expect(await chart.getAttribute('data-points')).toBe(String(measured.length));
    const drawn = await page.evaluate(() => window.__promoterCharts?.['error-rate']);
    expect(drawn?.x).toHaveLength(measured.length);
    expect(drawn?.value).toHaveLength(measured.length);
    expect(drawn?.x).toEqual([...measured].sort((a, b) => a.measuredAt.localeCompare(b.measuredAt) || a.id - b.id).map((r) => Date.parse(r.measuredAt) / 1000));
    expect(new Set(drawn?.upper)).toEqual(new Set([0.05]));
    expect(drawn?.results.every((r) => r === 'pass')).toBe(true);
    // uPlot drew a canvas for it.
    expect(await chart.locator('canvas').count()).toBeGreaterThan(0);
    const lastQuery = [...measured].sort((a, b) => a.measuredAt.localeCompare(b.measuredAt) || a.id - b.id).at(-1)!.query;
    expect(await page.locator('[data-check="error-rate"] .query code').first().textContent()).toBe(lastQuery);
    // The timeline has every state the promotion went through.
    const timeline = await page.locator('.timeline').textContent();
    for (const state of ['analyzing', 'promoting', 'verifying', 'succeeded']) expect(timeline).toContain(state);
    expect(await page.locator('.timeline li[data-event="rollout"]').count()).toBeGreaterThan(0);
  }, 90_000);

  it('hides the actions from a viewer, and the API refuses a request forged from the page', async () => {
    const id = await promote('abort', 'long-bake');
    await waitForState(id, ['verifying'], 60_000);
    const { page } = await open('viewer', `/ui/promotions/${id}`);
    await page.locator('h1 .badge[data-state="verifying"]').waitFor();
    await page.locator('[data-bake]').waitFor();
    expect(await page.locator('button[data-action]').count()).toBe(0);
    const forged = await page.evaluate(async (promotionId) => {
      const response = await fetch(`/v1/promotions/${promotionId}/abort`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sessionStorage.getItem('promoter.token')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'forged' }),
      });
      return { status: response.status, body: (await response.json()) as { code: string } };
    }, id);
    expect(forged.status).toBe(403);
    expect(forged.body.code).toBe('forbidden');
    expect((await api('viewer', 'GET', `/v1/promotions/${id}`)).body.state).toBe('verifying');
  }, 90_000);

  it('lets an operator abort from the page, which restores the Deployment', async () => {
    const current = (await api('viewer', 'GET', '/v1/promotions?namespace=abort')).body as unknown as { items: { id: string; state: string }[] };
    const id = current.items[0]!.id;
    expect(current.items[0]!.state).toBe('verifying');
    expect(image('abort')).toBe('registry.example/web:1.1.0');
    const { page } = await open('operator', `/ui/promotions/${id}`);
    expect(await page.locator('button[data-action="approve"]').count()).toBe(0);
    await page.locator('button[data-action="abort"]').click();
    await page.getByLabel('Reason (kept in the audit trail)').fill('error budget is spent elsewhere');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Yes, abort' }).click();
    await page.locator('h1 .badge[data-state="aborted"]').waitFor({ timeout: 30_000 });
    expect(image('abort')).toBe('registry.example/web:1.0.0');
    const detail = (await api('viewer', 'GET', `/v1/promotions/${id}`)).body as unknown as { events: { actor: string; reason: string | null }[] };
    expect(detail.events.some((e) => e.actor === 'alice' && e.reason?.includes('error budget is spent elsewhere'))).toBe(true);
    expect(await page.locator('.timeline').textContent()).toContain('error budget is spent elsewhere');
  }, 90_000);

  it('follows a promotion page live until it rolls back, with the failing check', async () => {
    const id = await promote('rollback', 'long-bake');
    await waitForState(id, ['verifying'], 60_000);
    const { page } = await open('operator', `/ui/promotions/${id}`);
    await page.locator('h1 .badge[data-state="verifying"]').waitFor();
    exporter.set('app_error_ratio', { namespace: 'rollback', variant: 'production' }, 0.3);
    await page.locator('h1 .badge[data-state="rolled_back"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('.state-reason').textContent()).toMatch(/check failed: error-rate failed/);
    const drawn = await page.evaluate(() => window.__promoterCharts?.['error-rate']);
    expect(drawn?.results).toContain('fail');
    const failed = drawn?.markers.find((m) => m.result === 'fail');
    expect(failed?.y.filter((y) => y !== null)).toContain(0.3);
    expect(drawn?.value).toContain(0.3);
    expect(await page.locator('button[data-action]').count()).toBe(0);
    expect(image('rollback')).toBe('registry.example/web:1.0.0');
    // A fixed size: the timeline's length varies from run to run (rollout events), and a taller image is not a material change.
    // The timeline's rollout events and the reason's count of measurements ("1 of 9") vary from run to run with
    // the machine's load: shown, not compared (the reason's text is asserted above).
    await screenshot(page, 'console-rolled-back.png', { clip: { x: 0, y: 0, width: 1280, height: 1150 } }, 'ol.timeline, .state-reason');
  }, 90_000);

  it('lists every outcome with its failing sentence (screenshot)', async () => {
    const { page } = await open('viewer', '/ui/');
    await page.locator('tr[data-state="rolled_back"] .reason').waitFor();
    expect(await page.locator('tr[data-state="rolled_back"] .reason').textContent()).toContain('error-rate failed');
    expect(await page.locator('tr[data-state="aborted"]').count()).toBe(1);
    await screenshot(page, 'console-promotions.png', 'viewport');
    // Keyboard: on a fresh load the first Tab reaches the skip link, and Enter on a row link opens the promotion.
    await page.reload();
    await page.locator('tr[data-state="rolled_back"] a').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.locator('tr[data-state="rolled_back"] a').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/ui\/promotions\/[0-9a-f-]{36}$/);
    await page.locator('h1 .badge[data-state="rolled_back"]').waitFor();
  });

  it('shows the policy YAML, a diff between two versions and the promotions of each version', async () => {
    const { page } = await open('viewer', '/ui/policies');
    await page.locator('[data-policy="web"] a').click();
    await page.waitForURL(/\/ui\/policies\/web$/);
    await page.locator('[data-yaml]').waitFor();
    const yaml = (await page.locator('[data-yaml]').textContent()) ?? '';
    expect(yaml).toContain('bake: 4s');
    // In the documented order (jsonb returns bake before description, and max before name), and it says what it is.
    const lines = yaml.split('\n').map((line) => line.trim().replace(/^- /, '').split(':')[0]);
    expect(lines).toEqual(['name', 'description', 'interval', 'bake', 'rolloutTimeout', 'checks', 'name', 'phases', 'pre', 'rollout', 'post', 'query', 'max']);
    expect(await page.locator('[data-rendering]').textContent()).toContain('comments');
    expect(await page.locator('[data-diff] .diff-removed').textContent()).toContain('bake: 3s');
    expect(await page.locator('[data-diff] .diff-added').textContent()).toContain('bake: 4s');
    await page.locator('[data-version-usage="2"] h3').waitFor();
    const used = await api('viewer', 'GET', '/v1/promotions?limit=200');
    const count = (used.body as unknown as { items: { policy: { name: string; version: number } }[] }).items.filter((p) => p.policy.name === 'web' && p.policy.version === 2).length;
    expect(await page.locator('[data-version-usage="2"] h3').textContent()).toBe(`v2: ${count} promotion${count === 1 ? '' : 's'}`);
    // Asked to compare v2 with itself, it compares with v1.
    await page.goto(`${svc.url}/ui/policies/web?version=2&compare=2`);
    await page.locator('[data-diff]').waitFor();
    expect(await page.locator('h2:has-text("Diff")').textContent()).toBe('Diff v1 → v2');
    expect(await page.locator('select[name="compare"] option').allTextContents()).toEqual(['v1']);
    // A policy with one version offers no diff at all.
    await page.goto(`${svc.url}/ui/policies/long-bake`);
    await page.locator('[data-yaml]').waitFor();
    expect(await page.locator('[data-diff]').count()).toBe(0);
    expect(await page.locator('select[name="compare"]').count()).toBe(0);
    expect(await page.locator('text=/Diff v1/').count()).toBe(0);
  });

  it('backtests a policy over a past window and shows one verdict per interval', async () => {
    const watched = await browser.newPage();
    pages.push(watched);
    const { page } = watched;
    await page.goto(`${svc.url}/ui/backtest`);
    await signIn(watched, TOKENS.operator.secret);
    await page.locator('select[name="policy"] option[value="backtest"]').waitFor({ state: 'attached' });
    await page.locator('select[name="policy"]').selectOption('backtest');
    await page.getByLabel('Namespace').fill('shop');
    await page.getByLabel('Deployment', { exact: true }).fill('web');
    await page.getByLabel('Container').fill('app');
    // datetime-local is in the browser's time zone: write the window in it.
    const local = (seconds: number) => page.evaluate((ms) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16), seconds * 1000);
    const start = HISTORY_START + 60;
    const end = HISTORY_END;
    await page.getByLabel('From').fill(await local(start));
    await page.getByLabel('To').fill(await local(end));
    await page.getByRole('button', { name: 'Run backtest' }).click();
    await page.locator('.backtest-result').waitFor({ timeout: 30_000 });
    expect(await page.locator('.backtest-result').getAttribute('data-verdict')).toBe('fail');
    const reference = await api('operator', 'POST', '/v1/evaluations', {
      policy: 'backtest',
      target: { namespace: 'shop', deployment: 'web', container: 'app' },
      phase: 'pre',
      window: { start: new Date(start * 1000).toISOString(), end: new Date(end * 1000).toISOString() },
    });
    const measurements = (reference.body as unknown as { checks: { measurements: { measuredAt: string; result: string }[] }[] }).checks[0]!.measurements;
    // One verdict per 2-minute interval of the 59-minute window.
    expect(measurements.length).toBe(Math.floor((end - start) / 120) + 1);
    const rows = page.locator('tr[data-interval]');
    expect(await rows.count()).toBe(measurements.length);
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-interval'), tr.getAttribute('data-result')]));
    expect(shown).toEqual(measurements.map((m) => [m.measuredAt, m.result]));
    expect(shown.some(([, result]) => result === 'pass')).toBe(true);
    expect(shown.some(([, result]) => result === 'fail')).toBe(true);
    expect(await page.locator('[data-chart="backtest:past-error-rate"]').getAttribute('data-points')).toBe(String(measurements.length));
    // One table per check (the intervals, not the promotion page's measurements too), and the window typed in stays.
    expect(await page.locator('.backtest-result table.intervals').count()).toBe(1);
    expect(await page.locator('.backtest-result table.measurements').count()).toBe(0);
    expect(await page.getByLabel('From').inputValue()).toBe(await local(start));
    expect(await page.getByLabel('To').inputValue()).toBe(await local(end));
  }, 60_000);

  it('needs no sign-in on an open API, and charts a promotion with 2,000 measurements (all drawn; its long tasks and blocking time printed, not asserted)', async () => {
    // A second service without tokens and without an engine: the record stays as the store wrote it.
    const open = await startTestService({ listen: true });
    let watched: WatchedPage | undefined;
    try {
      const first = Date.now() - 2_001_000;
      const id = await seedStep(open, 'big', Array.from({ length: 2000 }, (_, i) => {
        const sample = i + 1;
        const failed = sample % 250 === 0;
        const value = failed ? 0 : 1 + (sample % 7);
        return { sample, result: failed ? 'fail' : 'pass', value, message: `up = ${value}, bound min 1`, measuredAt: new Date(first + sample * 1000) };
      }));
      watched = await browser.newPage();
      pages.push(watched);
      const { page } = watched;
      await page.addInitScript(() => {
        const tasks: number[] = [];
        (window as unknown as { longTasks: number[] }).longTasks = tasks;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) tasks.push(entry.duration);
        }).observe({ type: 'longtask', buffered: true });
      });
      await page.goto(`${open.url}/ui/promotions/${id}`);
      await page.locator('.who:has-text("open API")').waitFor();
      expect(await page.getByLabel('API token').count()).toBe(0);
      const chart = page.locator('[data-chart="up"]');
      await chart.waitFor();
      expect(await chart.getAttribute('data-points')).toBe('2000');
      const drawn = await page.evaluate(() => window.__promoterCharts?.['up']);
      expect(drawn?.x).toHaveLength(2000);
      expect(drawn?.x[0]).toBe((first + 1000) / 1000);
      expect(new Set(drawn?.lower)).toEqual(new Set([1]));
      expect(drawn?.markers.find((m) => m.result === 'fail')?.y.filter((y) => y !== null)).toHaveLength(8);
      // Figures for the report, not assertions: the page's long tasks over its first load and a few live refreshes.
      await page.waitForTimeout(5_000);
      const tasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
      const longest = Math.max(0, ...tasks);
      const blocking = tasks.reduce((sum, ms) => sum + Math.max(0, ms - 50), 0);
      console.log(`2,000 measurements: ${tasks.length} long tasks, longest ${Math.round(longest)} ms, total blocking time ${Math.round(blocking)} ms`);
    } finally {
      // The page first: it keeps following the promotion, and a closed service would show as failed requests.
      await watched?.context.close();
      await open.close();
    }
  }, 60_000);

  it('charts a check whose every measurement is an error on its real times, marked as errors and at no made-up value', async () => {
    const open = await startTestService({ listen: true });
    let watched: WatchedPage | undefined;
    try {
      const first = Math.floor(Date.now() / 1000) - 120;
      const id = await seedStep(open, 'broken', Array.from({ length: 6 }, (_, i) => ({
        sample: i + 1, result: 'error', value: null, message: 'query failed: connect ECONNREFUSED 127.0.0.1:9090', measuredAt: new Date((first + i * 15) * 1000),
      })), { image: LONG_IMAGE });
      watched = await browser.newPage();
      pages.push(watched);
      const { page } = watched;
      await page.goto(`${open.url}/ui/promotions/${id}`);
      const chart = page.locator('[data-chart="up"][data-x-range]');
      await chart.waitFor();
      // The axis spans the measurements (a little either side at most), not years.
      const [min, max] = (await chart.getAttribute('data-x-range'))!.split(' ').map(Number);
      expect(min).toBeGreaterThanOrEqual(first - 60);
      expect(min).toBeLessThanOrEqual(first);
      expect(max).toBeGreaterThanOrEqual(first + 75);
      expect(max).toBeLessThanOrEqual(first + 75 + 60);
      const drawn = await page.evaluate(() => window.__promoterCharts?.['up']);
      expect(drawn?.x).toEqual(Array.from({ length: 6 }, (_, i) => first + i * 15));
      // No value is invented for them: nothing on the value scale, six marks on the no-value row, labelled.
      expect(drawn?.value.every((v) => v === null)).toBe(true);
      for (const marker of drawn?.markers ?? []) expect(marker.y.every((y) => y === null), marker.result).toBe(true);
      expect(drawn?.noValue.filter((m) => m !== null)).toHaveLength(6);
      expect(await page.locator('[data-check="up"] figcaption').textContent()).toContain('6 errors without a value, marked along the bottom');
      expect(await page.locator('[data-check="up"] .u-legend').textContent()).toContain('no value (error, no data)');
      await screenshot(page, 'console-check-errors.png', page.locator('[data-check="up"]'));
      // What is known is shown, what is not is said; times in the console's one format.
      const images = page.locator('dd.images');
      expect(await images.textContent()).toBe(`current image not yet resolved → ${LONG_IMAGE}`);
      expect(await page.locator('.facts').textContent()).toMatch(/ at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
      for (const shown of await page.locator('.timeline time').allTextContents()) expect(shown).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      // At phone width the long reference wraps, and only right after a / : or @.
      await page.setViewportSize({ width: 390, height: 900 });
      const breaks = await images.locator('.image-name').evaluate((element) => {
        const text = element.textContent ?? '';
        const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
        const tops: number[] = [];
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          for (let i = 0; i < (node.textContent ?? '').length; i++) {
            const range = document.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            tops.push(range.getBoundingClientRect().top);
          }
        }
        // Where a line starts: the characters before and after each break.
        return tops.flatMap((top, i) => (i > 0 && top > tops[i - 1]! + 2 ? [text.slice(Math.max(0, i - 3), i) + '|' + text.slice(i, i + 3)] : []));
      });
      expect(breaks.length, 'the reference wraps at phone width').toBeGreaterThan(0);
      for (const at of breaks) expect(at, `a line break at ${at}`).toMatch(/[/:@]\|/);
    } finally {
      await watched?.context.close();
      await open.close();
    }
  }, 60_000);

  it('shows a freeze banner on the list and the page while a freeze holds, the frozen promotion and its hold, and lets an admin override it', async () => {
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const put = await api('admin', 'PUT', '/v1/freezes/console-freeze', { window: { start: new Date(Date.now() - 1_000).toISOString(), end: until }, scope: { namespaces: ['frozen'] }, reason: 'quarter end' });
    expect(put.status).toBe(201);
    try {
      const id = await promote('frozen');
      const { page } = await open('operator', '/ui/?namespace=frozen');
      const banner = page.locator('.freeze-banner[data-freezes="console-freeze"]');
      await banner.waitFor({ timeout: 15_000 });
      expect(await banner.textContent()).toContain('Deployment freeze console-freeze holds namespaces frozen until');
      expect(await banner.textContent()).toContain('quarter end');
      await page.locator(`tr[data-promotion="${id}"][data-state="frozen"]`).waitFor({ timeout: 30_000 });
      expect(await page.locator(`tr[data-promotion="${id}"] .reason`).textContent()).toContain("held by freeze 'console-freeze'");
      // Another namespace's list shows no banner for it.
      const elsewhere = await open('viewer', '/ui/?namespace=live');
      await elsewhere.page.locator('table.promotions, p.muted:has-text("No promotions")').first().waitFor();
      expect(await elsewhere.page.locator('.freeze-banner').count()).toBe(0);
      await page.goto(`${svc.url}/ui/promotions/${id}`);
      await page.locator(`dd[data-hold="console-freeze"]`).waitFor({ timeout: 15_000 });
      expect(await page.locator('h1 .badge').textContent()).toBe('frozen');
      await page.locator('.freeze-banner').waitFor();
      // An operator may abort it but not override the freeze; an admin may, with a reason.
      expect(await page.locator('button[data-action="abort"]').count()).toBe(1);
      expect(await page.locator('button[data-action="override"]').count()).toBe(0);
      const admin = await open('admin', `/ui/promotions/${id}`);
      await admin.page.locator('button[data-action="override"]').click();
      const dialog = admin.page.locator('dialog[open]'); // the page has an abort dialog too
      await dialog.getByLabel('Reason (kept in the audit trail)').fill('security fix');
      await dialog.getByRole('button', { name: 'Continue' }).click();
      await dialog.getByRole('button', { name: 'Yes, override freeze' }).click();
      await admin.page.locator('h1 .badge[data-state="succeeded"]').waitFor({ timeout: 60_000 });
      expect(await admin.page.locator('.facts').textContent()).toContain('by ops-admin: security fix');
      expect(image('frozen')).toBe('registry.example/web:1.1.0');
    } finally {
      // Ended, so that no later page shows its banner.
      expect((await api('admin', 'DELETE', '/v1/freezes/console-freeze')).status).toBe(204);
    }
  }, 90_000);

  it('ran every page without a CSP violation or a script error', () => {
    expect(pages.length).toBeGreaterThan(5);
    expect(pages.flatMap((p) => p.violations)).toEqual([]);
    expect(pages.flatMap((p) => p.errors)).toEqual([]);
  });
});
