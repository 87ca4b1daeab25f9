/**
 * Backtesting over a past window: samples are backfilled into the TSDB with promtool before Prometheus
 * starts, so queries over that window are deterministic and need no scraping (and no ~7 s wait).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryResult } from '../../services/promoter/src/adapters/prometheus/index.js';
import { canaryJudgement } from '../../services/promoter/src/domain/statistics/index.js';
import type { BackfillSeries } from '../fixtures/exporter.js';
import { startPrometheus } from '../fixtures/prometheus.js';
import type { PrometheusInstance } from '../fixtures/prometheus.js';

const WINDOW_START = Date.parse('2024-01-01T00:00:00Z') / 1000;
const STEP = 15;
const POINTS = 121; // 30 minutes

/** Deterministic wiggle in [-0.01, 0.01], so the samples have no ties. */
function wiggle(i: number): number {
  return (((i * 7919) % 101) - 50) / 5000;
}

function series(name: string, variant: string, value: (i: number) => number): BackfillSeries {
  return { name, labels: { variant }, samples: Array.from({ length: POINTS }, (_, i) => [WINDOW_START + i * STEP, value(i)] as const) };
}

let prometheus: PrometheusInstance;

beforeAll(async () => {
  prometheus = await startPrometheus({
    backfill: [
      series('promoter_bt_requests_total', 'canary', (i) => i * 30), // 2 requests per second
      series('promoter_bt_latency_seconds', 'canary', (i) => 0.3 + wiggle(i)),
      series('promoter_bt_latency_seconds', 'production', (i) => 0.2 + wiggle(i + 3)),
      { name: 'promoter_bt_gap', samples: [[WINDOW_START, Number.NaN]] },
    ],
  });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
});

function valuesOf(result: QueryResult): number[] {
  if (result.resultType !== 'matrix') throw new Error(`expected a matrix, got ${result.resultType}`);
  return result.result.flatMap((s) => s.samples.map((p) => p.value));
}

describe('backfilled past window', () => {
  it('an instant query inside the window sees the backfilled counter rate', async () => {
    const result = await prometheus.client.queryInstant('rate(promoter_bt_requests_total[5m])', {
      time: new Date((WINDOW_START + 20 * 60) * 1000),
    });
    if (result.resultType !== 'vector') throw new Error('expected a vector');
    expect(result.result).toHaveLength(1);
    expect(result.result[0]?.value).toBeCloseTo(2, 9);
  });

  it('NaN samples survive backfilling', async () => {
    const result = await prometheus.client.queryInstant('promoter_bt_gap', { time: new Date(WINDOW_START * 1000) });
    if (result.resultType !== 'vector') throw new Error('expected a vector');
    expect(result.result[0]?.value).toBeNaN();
  });

  it('a backtest over the window: the slower canary fails a Mann-Whitney latency check', async () => {
    const range = { start: new Date((WINDOW_START + 60) * 1000), end: new Date((WINDOW_START + 29 * 60) * 1000), stepSeconds: 60 };
    const canary = valuesOf(await prometheus.client.queryRange('promoter_bt_latency_seconds{variant="canary"}', range));
    const baseline = valuesOf(await prometheus.client.queryRange('promoter_bt_latency_seconds{variant="production"}', range));
    expect(canary).toHaveLength(29);
    expect(baseline).toHaveLength(29);

    const judgement = canaryJudgement(canary, baseline, { confidence: 0.95, minEffectSize: 0.1, direction: 'increase' });

    expect(judgement.verdict).toBe('fail');
    expect(judgement.relativeShift).toBeGreaterThan(0.4);
  });

  it('outside the window there is no data', async () => {
    const result = await prometheus.client.queryInstant('promoter_bt_latency_seconds', {
      time: new Date((WINDOW_START + 2 * 3600) * 1000),
    });
    expect(result.result).toEqual([]);
  });
});
