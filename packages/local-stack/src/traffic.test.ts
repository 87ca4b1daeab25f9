import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startExporter, type Exporter } from './exporter.js';
import { startTraffic, type ImageHealth, type ObservedDeployment } from './traffic.js';

const TICK_MS = 60_000;
const labels = { namespace: 'mcp', variant: 'production' };

function deployment(image: string, updatedReplicas: number, replicas = 4): ObservedDeployment {
  return { spec: { replicas, template: { metadata: { labels: { app: 'web', variant: 'production' } }, spec: { containers: [{ name: 'proxy', image }] } } }, status: { updatedReplicas } };
}

/** A seeded generator (mulberry32), so the counts are the same on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const HEALTH: Readonly<Record<string, ImageHealth>> = {
  'web:good': { errorRatio: 0, medianSeconds: 0.08 },
  'web:bad': { errorRatio: 1, medianSeconds: 2 },
};

describe('startTraffic', () => {
  let exporter: Exporter;
  let current: ObservedDeployment;
  beforeEach(async () => {
    exporter = await startExporter();
    vi.useFakeTimers();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await exporter.close();
  });

  const start = () =>
    startTraffic({
      exporter,
      readDeployment: (namespace, name) => (namespace === 'mcp' && name === 'web' ? current : undefined),
      targets: [{ namespace: 'mcp', deployment: 'web', container: 'proxy', requestsPerSecond: 1_000 / 60 }],
      health: (image) => HEALTH[image] ?? { errorRatio: 0.5, medianSeconds: 0.1 },
      tickMs: TICK_MS,
      random: seeded(7),
    });
  const count = (status: string) => exporter.get('zai_proxy_requests_total', { ...labels, status }) ?? 0;

  it('counts requests, errors, latency and tokens under the pods\' own labels, by the image they run', () => {
    current = deployment('web:good', 4);
    const traffic = start();
    const total = count('200') + count('500');
    expect(total).toBeGreaterThanOrEqual(850);
    expect(total).toBeLessThanOrEqual(1_150);
    expect(count('500')).toBe(0);
    // Cumulative buckets: a median of 80 ms puts about half the requests under 0.1 s and nearly all under 0.25 s.
    const bucket = (le: string) => exporter.get('zai_proxy_request_duration_seconds_bucket', { ...labels, le }) ?? 0;
    expect(bucket('+Inf')).toBe(total);
    expect(bucket('0.05') / total).toBeLessThan(0.15);
    expect(bucket('0.1') / total).toBeGreaterThan(0.6);
    expect(bucket('0.25') / total).toBeGreaterThan(0.99);
    expect(exporter.get('zai_proxy_request_duration_seconds_count', labels)).toBe(total);
    expect(exporter.get('zai_proxy_tokens_total', labels)).toBe(count('200') * 180);
    expect(traffic.serving('mcp', 'web')).toEqual({ image: 'web:good', previous: undefined, share: 1 });
    traffic.stop();
  });

  it('splits a rollout between the old and the new image by the share of updated replicas', () => {
    current = deployment('web:good', 4);
    const traffic = start();
    const before = { ok: count('200'), failed: count('500') };
    current = deployment('web:bad', 1);
    vi.advanceTimersByTime(TICK_MS);
    expect(traffic.serving('mcp', 'web')).toEqual({ image: 'web:bad', previous: 'web:good', share: 0.25 });
    const failed = count('500') - before.failed;
    const served = failed + count('200') - before.ok;
    expect(failed / served).toBeGreaterThan(0.18);
    expect(failed / served).toBeLessThan(0.32);

    // Rolled out: every request sees the new image; then stopped: the series stay as they were.
    current = deployment('web:bad', 4);
    vi.advanceTimersByTime(TICK_MS);
    const okAfterRollout = count('200');
    current = deployment('web:bad', 4);
    vi.advanceTimersByTime(TICK_MS);
    expect(count('200')).toBe(okAfterRollout);
    expect(traffic.serving('mcp', 'web')).toEqual({ image: 'web:bad', previous: undefined, share: 1 });
    traffic.stop();
    const frozen = count('500');
    vi.advanceTimersByTime(5 * TICK_MS);
    expect(count('500')).toBe(frozen);
    expect(traffic.ticks).toBe(4);
  });

  it('rolls back mid-rollout from the image the pods were moving to', () => {
    current = deployment('web:good', 4);
    const traffic = start();
    current = deployment('web:bad', 2);
    vi.advanceTimersByTime(TICK_MS);
    current = deployment('web:good', 1);
    vi.advanceTimersByTime(TICK_MS);
    expect(traffic.serving('mcp', 'web')).toEqual({ image: 'web:good', previous: 'web:bad', share: 0.25 });
    traffic.stop();
  });
});
