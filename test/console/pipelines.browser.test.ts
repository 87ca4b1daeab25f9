/**
 * The console's pipeline pages in a real browser (chromium through playwright-core) against the real service
 * on PostgreSQL, the fake Kubernetes API, a real Prometheus scraping an exporter the test controls, the
 * promotion engine and the pipeline runner. Each pipeline has its own three namespaces (`<name>-staging`,
 * `-iad`, `-fra`). What is watched is the page moving without a reload: a soak counting down, stages
 * succeeding, a failed stage's reason and the stage after it skipped, and an operator's abort.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { PrometheusClient } from '../../services/promoter/src/adapters/prometheus/prometheus-client.js';
import type { PromotionEngine } from '../../services/promoter/src/engine/promotion-engine.js';
import type { PipelineRunner } from '../../services/promoter/src/engine/pipeline-runner.js';
import { kubernetesTargetVerifier } from '../../services/promoter/src/engine/target-verifier.js';
import { createPipelineRunner } from '../../services/promoter/src/service.js';
import { startEngine, fakeKubeClient } from '../fixtures/engine.js';
import { startExporter, type Exporter } from '../fixtures/exporter.js';
import { startPrometheus, type PrometheusInstance } from '../fixtures/prometheus.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { launchBrowser, type TestBrowser, type WatchedPage } from './browser.js';
import { compareScreenshot, volatileBoxes } from './screenshots.js';

declare global {
  interface Window {
    /** Set by the test in the page: still there later means the page was never reloaded. */
    __notReloaded?: boolean;
    __soakSeen?: string[];
  }
}

const IMAGES = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/images');
const TOKENS = {
  admin: { name: 'ops-admin', role: 'admin', secret: 'pipelines-admin-secret-0123456789', namespaces: undefined },
  operator: { name: 'alice', role: 'operator', secret: 'pipelines-operator-secret-012345', namespaces: undefined },
  viewer: { name: 'victor', role: 'viewer', secret: 'pipelines-viewer-secret-01234567', namespaces: undefined },
} as const;
const OLD = 'ronaldraygun/zai-proxy:1.2.0';
const NEW = 'ronaldraygun/zai-proxy:1.2.1';
/**
 * Pipeline -> the soaks of its second and third stages. `ok`'s iad soaks long enough for a page on a loaded
 * machine to see it count down (one CI run's page first saw a 6 s soak with 1 s left: the run is re-read every
 * two seconds and the service answered slowly); `hold` soaks long enough to be aborted during it.
 */
const IAD_SOAK_SECONDS = 15;
const PIPELINES = { ok: { iad: `${IAD_SOAK_SECONDS}s`, fra: '1s' }, stop: { iad: '1s', fra: '1s' }, hold: { iad: '10m', fra: '10m' } } as const;
const STAGES = ['staging', 'iad', 'fra'] as const;
const POLICY = {
  interval: '500ms',
  bake: '1s',
  rolloutTimeout: '20s',
  checks: [{ name: 'error-rate', phases: ['pre', 'rollout', 'post'], query: 'max(app_error_ratio{namespace="{{namespace}}",variant="{{variant}}"})', max: 0.05 }],
};

interface RunView {
  id: string;
  state: string;
  stateReason: string | null;
  stages: { name: string; state: string; reason?: string; promotionId?: string }[];
}

describe('console: pipelines', () => {
  let browser: TestBrowser;
  let exporter: Exporter;
  let prometheus: PrometheusInstance;
  let kube: FakeKube;
  let svc: TestService;
  let engine: PromotionEngine;
  let runner: PipelineRunner;
  const pages: WatchedPage[] = [];

  const api = async (token: keyof typeof TOKENS, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => {
    const response = await svc.app.inject({ method, url, headers: { authorization: `Bearer ${TOKENS[token].secret}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: response.statusCode, body: response.json() as RunView & Record<string, unknown> };
  };
  const startRun = async (pipeline: string) => {
    const { status, body } = await api('admin', 'POST', `/v1/pipelines/${pipeline}/runs`, { image: NEW, reason: 'release 1.2.1' });
    expect(status, JSON.stringify(body)).toBe(201);
    return body;
  };
  const waitForRun = async (pipeline: string, id: string, until: (run: RunView) => boolean, timeoutMs = 90_000): Promise<RunView> => {
    const deadline = Date.now() + timeoutMs;
    let last: RunView | undefined;
    while (Date.now() < deadline) {
      last = (await api('viewer', 'GET', `/v1/pipelines/${pipeline}/runs/${id}`)).body;
      if (until(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`run ${id} of ${pipeline} did not get there within ${timeoutMs} ms; last: ${JSON.stringify(last, null, 1)}`);
  };
  const open = async (role: keyof typeof TOKENS, path: string) => {
    const watched = await browser.newPage();
    pages.push(watched);
    await watched.page.goto(`${svc.url}/ui/`);
    await watched.page.getByLabel('API token').fill(TOKENS[role].secret);
    await watched.page.getByRole('button', { name: 'Sign in' }).click();
    await watched.page.locator('.who').waitFor();
    if (path !== '/ui/') await watched.page.goto(`${svc.url}${path}`);
    return watched;
  };
  const image = (namespace: string) => kube.getDeployment(namespace, 'zai-proxy')?.spec.template.spec.containers[0]?.image;
  const stage = (watched: WatchedPage, name: string, state?: string) => watched.page.locator(`li.stage[data-stage="${name}"]${state ? `[data-state="${state}"]` : ''}`);

  beforeAll(async () => {
    browser = await launchBrowser();
    exporter = await startExporter();
    kube = await startFakeKube();
    for (const pipeline of Object.keys(PIPELINES)) {
      for (const name of STAGES) {
        const namespace = `${pipeline}-${name}`;
        exporter.set('app_error_ratio', { namespace, variant: 'canary' }, 0.01);
        exporter.set('app_error_ratio', { namespace, variant: 'production' }, 0.01);
        kube.addDeployment({ namespace, name: 'zai-proxy', containers: [{ name: 'proxy', image: OLD }], replicas: 2 });
      }
    }
    prometheus = await startPrometheus({ targets: [exporter.target] });
    await prometheus.waitForSeries('app_error_ratio{namespace="ok-staging",variant="canary"}');
    const promClient = new PrometheusClient({ baseUrl: prometheus.url, retries: 0 });
    const kubeClient = fakeKubeClient(kube);
    svc = await startTestService({ listen: true, prometheus: promClient, kube: kubeClient, apiTokens: Object.values(TOKENS), streamPollMs: 100 });
    expect((await api('admin', 'PUT', '/v1/policies/stage-gate', POLICY)).status).toBe(201);
    for (const [pipeline, soaks] of Object.entries(PIPELINES)) {
      const put = await api('admin', 'PUT', `/v1/pipelines/${pipeline}`, {
        description: `zai-proxy through staging, iad and fra (${pipeline})`,
        stages: STAGES.map((name) => ({
          name,
          target: { namespace: `${pipeline}-${name}`, deployment: 'zai-proxy', container: 'proxy' },
          policy: 'stage-gate',
          ...(name === 'staging' ? {} : { soak: soaks[name] }),
        })),
      });
      expect(put.status, JSON.stringify(put.body)).toBe(201);
    }
    engine = startEngine(svc, kube, promClient);
    runner = createPipelineRunner({ db: svc.database.handle.db, verifyTarget: kubernetesTargetVerifier(() => kubeClient), log: svc.app.log, pollMs: 100, stagePollMs: 200 });
    runner.start();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await runner?.stop();
    await engine?.stop();
    await svc?.close();
    await prometheus?.stop();
    await kube?.close();
    await exporter?.close();
  });

  it('shows a run moving live through the stages: a soak counting down, then every stage succeeded, without a reload', async () => {
    const run = await startRun('ok');
    const watched = await open('viewer', '/ui/');
    const { page } = watched;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Pipelines' }).click();
    const row = page.locator('tr[data-pipeline="ok"]');
    await row.waitFor();
    expect(await page.getByRole('link', { name: 'Pipelines' }).getAttribute('aria-current')).toBe('page');
    expect(await row.textContent()).toContain('staging → iad → fra');
    expect(await row.textContent()).toContain('v1');
    expect(await row.locator('[data-run-state]').count()).toBe(1);
    await row.getByRole('link', { name: 'ok' }).click();
    await page.locator(`section.run[data-run="${run.id}"]`).waitFor();
    await page.evaluate(() => {
      window.__notReloaded = true;
      // Every text iad's soak line shows, in order: two looks from the test could straddle the soak's end on a
      // busy machine (a first look at "1s" and the line is gone), a recorder inside the page cannot.
      const seen: string[] = [];
      window.__soakSeen = seen;
      setInterval(() => {
        const text = document.querySelector('li.stage[data-stage="iad"] [data-soak]')?.textContent;
        if (text && seen.at(-1) !== text) seen.push(text);
      }, 50);
    });

    // The stages in order, with their targets, delivery and soak.
    expect(await page.locator('li.stage').evaluateAll((cards) => cards.map((card) => card.getAttribute('data-stage')))).toEqual([...STAGES]);
    const iadFacts = await stage(watched, 'iad').textContent();
    for (const part of ['ok-iad/zai-proxy', 'patch', 'stage-gate', `${IAD_SOAK_SECONDS}s`]) expect(iadFacts).toContain(part);
    expect(await page.locator('.run-summary').textContent()).toContain(NEW);
    // Who started it, as every page names people and workloads: here a static token, by its name.
    const starter = page.locator('.run-summary .actor');
    expect(await starter.textContent()).toBe('ops-admin');
    expect(await starter.getAttribute('data-actor-kind')).toBe('token');

    // iad soaks after staging: its card counts down (each second it shows is below the one before).
    await stage(watched, 'staging', 'succeeded').waitFor({ timeout: 60_000 });
    await stage(watched, 'iad', 'soaking').locator('[data-soak]').waitFor({ timeout: 10_000 });
    await page.waitForFunction(() => (window.__soakSeen?.length ?? 0) >= 2 || document.querySelector('li.stage[data-stage="iad"][data-state="soaking"]') === null);
    const shown = (await page.evaluate(() => window.__soakSeen)) ?? [];
    const seconds = shown.map((text) => Number(new RegExp(`^(\\d+)s remaining of ${IAD_SOAK_SECONDS}s$`).exec(text)?.[1]));
    expect(shown.length, shown.join(' | ')).toBeGreaterThanOrEqual(2);
    for (const [index, value] of seconds.entries()) {
      expect(value, shown.join(' | ')).toBeGreaterThanOrEqual(1);
      expect(value, shown.join(' | ')).toBeLessThanOrEqual(IAD_SOAK_SECONDS);
      if (index > 0) expect(value, shown.join(' | ')).toBeLessThan(seconds[index - 1] ?? 0);
    }
    // A viewer is never offered the abort.
    expect(await page.locator('[data-action="abort"]').count()).toBe(0);

    // Then iad runs (its promotion linked with its state), and every stage ends succeeded.
    await stage(watched, 'iad', 'running').locator('[data-promotion-link]').or(stage(watched, 'iad', 'succeeded')).first().waitFor({ timeout: 60_000 });
    await page.locator(`section.run[data-state="succeeded"]`).waitFor({ timeout: 90_000 });
    for (const name of STAGES) {
      await stage(watched, name, 'succeeded').waitFor();
      expect(image(`ok-${name}`)).toBe(NEW);
    }
    const done = await waitForRun('ok', run.id, () => true);
    expect(await page.locator('[data-run-reason]').textContent()).toBe(done.stateReason);
    expect(done.stateReason).toBe('all 3 stages succeeded');
    const fraLink = stage(watched, 'fra').locator('[data-promotion-link]');
    expect(await fraLink.getAttribute('href')).toBe(`/ui/promotions/${done.stages[2]?.promotionId}`);
    expect(await fraLink.textContent()).toBe('succeeded');
    expect(await page.locator('ol.timeline li').count()).toBeGreaterThanOrEqual(5);
    expect(await page.locator('ol.timeline').textContent()).toContain('run succeeded: all 3 stages succeeded');
    expect(await page.evaluate(() => window.__notReloaded)).toBe(true);

    const summary = page.locator('.run-summary');
    const compared = await compareScreenshot(browser.browser, await summary.screenshot(), join(IMAGES, 'console-pipeline.png'), await volatileBoxes(page, summary));
    console.log(`docs/images/console-pipeline.png: ${(compared.difference * 100).toFixed(3)}% of compared pixels differ, ${compared.written ? 'accepted and written' : 'matches'}`);

    // A run's own address shows that run.
    await page.goto(`${svc.url}/ui/pipelines/ok/runs/${run.id}`);
    await page.locator(`section.run[data-run="${run.id}"][data-state="succeeded"]`).waitFor();
    expect(await page.locator(`ol.runs li[data-run="${run.id}"]`).getAttribute('aria-current')).toBe('true');
  }, 240_000);

  it("shows a failed stage's reason with the failing check's sentence, and the stage after it skipped", async () => {
    // iad's production is broken from the start: its pre check judges the canary (healthy), so iad is patched,
    // and its rollout check then judges production, fails, and the engine rolls it back. Broken before the run
    // (and scraped) rather than when iad starts: a promotion that bakes within a scrape interval would
    // otherwise succeed before Prometheus saw the change.
    exporter.set('app_error_ratio', { namespace: 'stop-iad', variant: 'production' }, 0.4);
    await prometheus.waitForSeries('app_error_ratio{namespace="stop-iad",variant="production"} > 0.3');
    const run = await startRun('stop');
    const watched = await open('viewer', '/ui/pipelines/stop');
    const { page } = watched;
    await page.locator(`section.run[data-run="${run.id}"]`).waitFor();
    await stage(watched, 'iad', 'failed').waitFor({ timeout: 90_000 });
    await stage(watched, 'fra', 'skipped').waitFor({ timeout: 10_000 });
    await page.locator('section.run[data-state="failed"]').waitFor({ timeout: 10_000 });
    const done = await waitForRun('stop', run.id, () => true);
    const iadReason = await stage(watched, 'iad').locator('[data-stage-reason]').textContent();
    expect(iadReason).toBe(done.stages[1]?.reason);
    expect(iadReason).toMatch(/rolled_back/);
    expect(iadReason).toContain('error-rate');
    expect(await stage(watched, 'fra').locator('[data-stage-reason]').textContent()).toBe("not started: stage 'iad' failed");
    expect(await page.locator('[data-run-reason]').textContent()).toMatch(/^stage 'iad' failed: its promotion [0-9a-f-]{36} ended rolled_back: .*error-rate/);
    expect(await stage(watched, 'staging', 'succeeded').count()).toBe(1);
    expect(image('stop-iad')).toBe(OLD);
    expect(image('stop-fra')).toBe(OLD);
  }, 180_000);

  it('offers an operator, not a viewer, to abort a run, and shows it aborted', async () => {
    const run = await startRun('hold');
    await waitForRun('hold', run.id, (r) => r.stages[1]?.state === 'soaking' || !['queued', 'running'].includes(r.state));
    const viewer = await open('viewer', `/ui/pipelines/hold/runs/${run.id}`);
    await stage(viewer, 'iad', 'soaking').locator('[data-soak]').waitFor();
    expect(await stage(viewer, 'iad').locator('[data-soak]').textContent()).toMatch(/^9m \d+s remaining of 10m$/);
    expect(await viewer.page.locator('[data-action="abort"]').count()).toBe(0);

    const operator = await open('operator', '/ui/pipelines/hold');
    const { page } = operator;
    await stage(operator, 'iad', 'soaking').waitFor();
    await page.getByRole('button', { name: 'Abort run' }).click();
    await page.getByLabel('Reason (kept in the audit trail)').fill('incident in iad');
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await page.locator('dialog').textContent()).toContain('no further stage starts');
    await page.getByRole('button', { name: 'Yes, abort' }).click();
    await page.locator(`section.run[data-run="${run.id}"][data-state="aborted"]`).waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-run-reason]').textContent()).toBe('aborted by alice: incident in iad');
    await stage(operator, 'iad', 'skipped').waitFor();
    expect(await page.locator('[data-action="abort"]').count()).toBe(0);
    // The viewer's page follows too.
    await viewer.page.locator(`section.run[data-state="aborted"]`).waitFor({ timeout: 20_000 });
    expect(image('hold-iad')).toBe(OLD);
    expect((await waitForRun('hold', run.id, () => true)).state).toBe('aborted');
  }, 120_000);

  it('ran without a CSP violation or a script error', () => {
    expect(pages.flatMap((p) => p.violations)).toEqual([]);
    expect(pages.flatMap((p) => p.errors)).toEqual([]);
  });
});
