/** The harness itself: exposition text, OpenMetrics backfill text, and the missing-binary message. */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startExporter, toOpenMetrics } from '../fixtures/exporter.js';
import { startPrometheus } from '../fixtures/prometheus.js';

describe('exporter', () => {
  it('serves set, incremented and removed series in the text format', async () => {
    const exporter = await startExporter();
    try {
      exporter.set('x_seconds', { variant: 'canary', path: 'a"b\\c\nd' }, 0.5);
      exporter.set('x_seconds', { variant: 'production' }, Number.NaN);
      exporter.set('x_bucket', { le: '+Inf' }, Number.POSITIVE_INFINITY);
      exporter.inc('x_total');
      exporter.inc('x_total', {}, 2);
      exporter.set('gone', {}, 1);
      exporter.remove('gone');
      exporter.set('x_seconds', { variant: 'old' }, 1);
      exporter.remove('x_seconds', { variant: 'old' });

      const response = await fetch(`${exporter.url}/metrics`);
      expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
      expect(await response.text()).toBe(
        [
          'x_seconds{path="a\\"b\\\\c\\nd",variant="canary"} 0.5',
          'x_seconds{variant="production"} NaN',
          'x_bucket{le="+Inf"} +Inf',
          'x_total 3',
          '',
        ].join('\n'),
      );
      expect(exporter.scrapes).toBe(1);
      expect(exporter.get('x_total')).toBe(3);
      expect((await fetch(`${exporter.url}/other`)).status).toBe(404);
    } finally {
      await exporter.close();
    }
  });

  it("answers a scrape while the test's own thread is blocked: a busy test process never fails Prometheus's 1 s scrape", async () => {
    const exporter = await startExporter();
    try {
      exporter.set('up_while_blocked', { variant: 'canary' }, 1);
      // spawnSync blocks this thread until the child is done: only a server on another thread can answer it.
      const scrape = spawnSync(process.execPath, ['-e', `fetch(${JSON.stringify(`${exporter.url}/metrics`)}).then(async (r) => process.stdout.write(await r.text()))`], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(scrape.error, String(scrape.stderr)).toBeUndefined();
      expect(scrape.stdout).toBe('up_while_blocked{variant="canary"} 1\n');
      expect(exporter.scrapes).toBe(1);
    } finally {
      await exporter.close();
    }
  });

  it('rejects invalid metric and label names', async () => {
    const exporter = await startExporter();
    try {
      expect(() => exporter.set('bad-name', {}, 1)).toThrow(/metric name/);
      expect(() => exporter.set('ok', { 'bad-label': 'x' }, 1)).toThrow(/label name/);
    } finally {
      await exporter.close();
    }
  });
});

describe('toOpenMetrics', () => {
  it('groups a family, orders samples by time, ends with # EOF', () => {
    const text = toOpenMetrics([
      { name: 'a_total', labels: { v: '1' }, samples: [[20, 2], [10, 1]] },
      { name: 'b', samples: [[10, Number.NaN]] },
      { name: 'a_total', labels: { v: '2' }, samples: [[10, 5]] },
    ]);
    expect(text).toBe('a_total{v="1"} 1 10\na_total{v="1"} 2 20\na_total{v="2"} 5 10\nb NaN 10\n# EOF\n');
  });
});

describe('startPrometheus', () => {
  const path = process.env['PATH'];
  afterEach(() => {
    process.env['PATH'] = path;
  });

  it('fails with an install hint when the binary is missing', async () => {
    process.env['PATH'] = '/nonexistent';
    await expect(startPrometheus()).rejects.toThrow(/apt-get install -y prometheus/);
  });
});
