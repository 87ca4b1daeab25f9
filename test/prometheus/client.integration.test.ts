/**
 * The Prometheus client against a real Prometheus (2.42 from Debian) scraping a test exporter.
 * One server for the whole file: the first scrape lands ~7 s after start, so everything waits on data,
 * never on a fixed sleep. The last test stops Prometheus to check that an outage is an error, not a value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusError, createQueryBatch } from '../../services/promoter/src/adapters/prometheus/index.js';
import type { InstantSample } from '../../services/promoter/src/adapters/prometheus/index.js';
import { startExporter } from '../fixtures/exporter.js';
import type { Exporter } from '../fixtures/exporter.js';
import { startPrometheus } from '../fixtures/prometheus.js';
import type { PrometheusInstance } from '../fixtures/prometheus.js';

const RULES = `
groups:
  - name: promoter-it
    rules:
      - alert: PromoterItErrorsHigh
        expr: promoter_it_errors > 0
        labels:
          severity: page
        annotations:
          summary: errors on {{ $labels.variant }}
`;

let exporter: Exporter;
let prometheus: PrometheusInstance;

beforeAll(async () => {
  exporter = await startExporter();
  exporter.set('promoter_it_latency_seconds', { variant: 'canary' }, 0.25);
  exporter.set('promoter_it_latency_seconds', { variant: 'production' }, 0.2);
  exporter.set('promoter_it_errors', { variant: 'canary' }, 3);
  exporter.set('promoter_it_odd', { kind: 'nan' }, Number.NaN);
  exporter.set('promoter_it_odd', { kind: 'inf' }, Number.POSITIVE_INFINITY);
  exporter.inc('promoter_it_requests_total', { variant: 'canary' }, 10);
  prometheus = await startPrometheus({ targets: [exporter.target], ruleFiles: RULES });
  // The first scrape lands ~7 s after start; allow for a loaded CI machine.
  await prometheus.waitForSeries('promoter_it_latency_seconds', undefined, 40_000);
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
});

function byVariant(samples: readonly InstantSample[]): Record<string, number> {
  return Object.fromEntries(samples.map((s) => [s.metric['variant'] ?? '', s.value]));
}

describe('PrometheusClient against a real Prometheus', () => {
  it('instant query returns the values the exporter serves', async () => {
    const result = await prometheus.client.queryInstant('promoter_it_latency_seconds');
    expect(result.resultType).toBe('vector');
    if (result.resultType !== 'vector') return;
    expect(byVariant(result.result)).toEqual({ canary: 0.25, production: 0.2 });
    expect(result.warnings).toEqual([]);
  });

  it('sees a value the exporter changes', async () => {
    exporter.set('promoter_it_latency_seconds', { variant: 'canary' }, 0.3);
    const samples = await prometheus.waitForSeries('promoter_it_latency_seconds{variant="canary"}', (s) => s[0]?.value === 0.3);
    expect(samples).toHaveLength(1);
  });

  it('reads NaN and +Inf samples as numbers', async () => {
    const result = await prometheus.client.queryInstant('promoter_it_odd');
    if (result.resultType !== 'vector') throw new Error('expected a vector');
    const byKind = Object.fromEntries(result.result.map((s) => [s.metric['kind'], s.value]));
    expect(byKind['nan']).toBeNaN();
    expect(byKind['inf']).toBe(Number.POSITIVE_INFINITY);
  });

  it('scalar and string results', async () => {
    expect((await prometheus.client.queryInstant('1/0')).result).toMatchObject({ value: Number.POSITIVE_INFINITY });
    expect((await prometheus.client.queryInstant('"hello"')).result).toMatchObject({ value: 'hello' });
  });

  it('range query returns a matrix with one point per step', async () => {
    await prometheus.waitForSeries('count_over_time(promoter_it_requests_total[1m]) >= 3');
    const end = new Date();
    const start = new Date(end.getTime() - 2_000);
    const result = await prometheus.client.queryRange('promoter_it_requests_total', { start, end, stepSeconds: 1 });
    expect(result.resultType).toBe('matrix');
    if (result.resultType !== 'matrix') return;
    expect(result.result).toHaveLength(1);
    const samples = result.result[0]?.samples ?? [];
    expect(samples.length).toBeGreaterThanOrEqual(2);
    expect(samples.every((s) => s.value === 10)).toBe(true);
  });

  it('a firing alert from the rule file shows in firingAlerts() and in ALERTS', async () => {
    const series = await prometheus.waitForSeries('ALERTS{alertname="PromoterItErrorsHigh",alertstate="firing"}');
    expect(series[0]?.metric).toMatchObject({ variant: 'canary', severity: 'page' });

    const firing = await prometheus.client.firingAlerts();
    const alert = firing.find((a) => a.labels['alertname'] === 'PromoterItErrorsHigh');
    expect(alert).toMatchObject({
      state: 'firing',
      value: 3,
      labels: { variant: 'canary', severity: 'page' },
      annotations: { summary: 'errors on canary' },
    });
    expect(alert?.activeAt).toBeInstanceOf(Date);
  });

  it('a syntax error is a 400 bad_data PrometheusError', async () => {
    const error: unknown = await prometheus.client.queryInstant('sum(rate(promoter_it_requests_total[5m])').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrometheusError);
    expect(error).toMatchObject({ kind: 'bad_data', status: 400, errorType: 'bad_data', retryable: false });
    expect((error as PrometheusError).serverMessage).toMatch(/parse error/); // asserted to be a PrometheusError above
  });

  it('an execution error is a 422 execution PrometheusError', async () => {
    const error: unknown = await prometheus.client
      .queryInstant('label_replace(promoter_it_errors, "x", "$1", "variant", "(")')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'execution', status: 422, errorType: 'execution' });
  });

  it('validateQuery uses format_query (available since 2.38)', async () => {
    expect(await prometheus.client.validateQuery('sum by (variant) (rate(promoter_it_requests_total[5m]))')).toEqual({ ok: true });
    const invalid = await prometheus.client.validateQuery('sum(rate(promoter_it_requests_total[5m])');
    expect(invalid.ok).toBe(false);
    if (!invalid.ok) expect(invalid.error).toMatch(/unclosed left parenthesis/);
  });

  it('a query batch answers identical queries with one shared result', async () => {
    const batch = createQueryBatch(prometheus.client);
    const time = new Date();
    const results = await Promise.all([1, 2, 3].map(() => batch.queryInstant('promoter_it_errors', { time })));
    expect(batch.sent).toBe(1);
    expect(results[0]).toBe(results[2]);
  });

  it('once Prometheus is stopped, queries fail with a network error, never a value', async () => {
    const client = prometheus.client;
    await prometheus.stop();
    const error: unknown = await client.queryInstant('promoter_it_errors').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrometheusError);
    expect(error).toMatchObject({ kind: 'network', retryable: true });
    expect(await client.ready()).toBe(false);
  });
});
