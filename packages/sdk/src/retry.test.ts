import { describe, expect, it } from 'vitest';
import { PromoterError, PromoterNetworkError, parseRetryAfter } from './errors.js';
import { isRetryable, retryDelay, withRetry, type RetryMode } from './retry.js';

const problem = (status: number, code = `http-${status}`) => new PromoterError({ status, code, type: 'about:blank', title: 'x' });
const reset = new PromoterNetworkError({ method: 'POST', url: 'http://x', cause: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }) });
const refused = new PromoterNetworkError({ method: 'POST', url: 'http://x', cause: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }) });

const cases: [string, { error: unknown; mode: RetryMode; want: boolean }][] = [
  ['idempotent: connection reset', { error: reset, mode: 'idempotent', want: true }],
  ['idempotent: 502', { error: problem(502), mode: 'idempotent', want: true }],
  ['idempotent: 503', { error: problem(503), mode: 'idempotent', want: true }],
  ['idempotent: 504', { error: problem(504), mode: 'idempotent', want: true }],
  ['idempotent: 500 is a bug, not a hiccup', { error: problem(500), mode: 'idempotent', want: false }],
  ['idempotent: 409', { error: problem(409, 'promotion-already-active'), mode: 'idempotent', want: false }],
  ['idempotent: 429', { error: problem(429), mode: 'idempotent', want: true }],
  ['unsafe: connection reset may have been applied', { error: reset, mode: 'unsafe', want: false }],
  ['unsafe: connection refused was never sent', { error: refused, mode: 'unsafe', want: true }],
  ['unsafe: 502 is ambiguous', { error: problem(502), mode: 'unsafe', want: false }],
  ['unsafe: 503 database-unavailable changed nothing', { error: problem(503, 'database-unavailable'), mode: 'unsafe', want: true }],
  ['unsafe: 429', { error: problem(429), mode: 'unsafe', want: true }],
  ['none: never', { error: refused, mode: 'none', want: false }],
  ['a plain Error is not retried', { error: new Error('bug'), mode: 'idempotent', want: false }],
];

describe('isRetryable', () => {
  it.each(cases)('%s', (_name, { error, mode, want }) => {
    expect(isRetryable(error, mode)).toBe(want);
  });
});

describe('retryDelay', () => {
  it('doubles with equal jitter and stays under the cap', () => {
    const options = { attempts: 5, baseDelayMs: 100, maxDelayMs: 300 };
    expect(retryDelay(1, options, undefined, () => 0)).toBe(50);
    expect(retryDelay(1, options, undefined, () => 1)).toBe(100);
    expect(retryDelay(2, options, undefined, () => 1)).toBe(200);
    expect(retryDelay(5, options, undefined, () => 1)).toBe(300);
  });

  it('follows Retry-After up to the cap', () => {
    expect(retryDelay(1, { attempts: 3, baseDelayMs: 100, maxDelayMs: 2_000 }, 1_000)).toBe(1_000);
    expect(retryDelay(1, { attempts: 3, baseDelayMs: 100, maxDelayMs: 2_000 }, 5_000)).toBe(2_000);
  });

  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('5')).toBe(5_000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('withRetry', () => {
  it('retries up to the number of attempts and throws the last error', async () => {
    let calls = 0;
    const run = withRetry(
      async () => {
        calls++;
        throw problem(503);
      },
      { mode: 'idempotent', retry: { attempts: 3, baseDelayMs: 1 } },
    );
    await expect(run).rejects.toMatchObject({ status: 503 });
    expect(calls).toBe(3);
  });

  it('returns the first success', async () => {
    let calls = 0;
    const value = await withRetry(
      async () => {
        if (++calls < 2) throw reset;
        return 'ok';
      },
      { mode: 'idempotent', retry: { attempts: 3, baseDelayMs: 1 } },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(2);
  });
});
