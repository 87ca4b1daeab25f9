import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { durationMs, formatDuration, parseDuration, promDuration } from './duration.js';

describe('parseDuration', () => {
  const valid: ReadonlyArray<[string, { given: string; want: number }]> = [
    ['milliseconds', { given: '250ms', want: 250 }],
    ['seconds', { given: '30s', want: 30_000 }],
    ['minutes', { given: '5m', want: 300_000 }],
    ['hours and minutes', { given: '1h30m', want: 5_400_000 }],
    ['days', { given: '2d', want: 172_800_000 }],
    ['zero', { given: '0s', want: 0 }],
    ['every unit', { given: '1d2h3m4s5ms', want: 93_784_005 }],
    ['minutes then milliseconds (ms is not m + s)', { given: '1m5ms', want: 60_005 }],
    ['leading zeros', { given: '05m', want: 300_000 }],
    ['more than one unit carries over', { given: '90s', want: 90_000 }],
    ['the largest safe integer', { given: `${Number.MAX_SAFE_INTEGER}ms`, want: Number.MAX_SAFE_INTEGER }],
  ];
  it.each(valid)('%s: %s', (_name, { given, want }) => {
    expect(parseDuration(given)).toBe(want);
    expect(durationMs(given)).toBe(want);
  });

  const invalid: ReadonlyArray<[string, string]> = [
    ['a number without a unit', '5'],
    ['a unit without a number', 'm'],
    ['a fraction', '1.5m'],
    ['a negative', '-1s'],
    ['an unknown unit', '1x'],
    ['weeks (not a policy unit)', '1w'],
    ['empty', ''],
    ['a leading space', ' 5m'],
    ['a trailing space', '5m '],
    ['a space between parts', '1h 30m'],
    ['an uppercase unit', '5M'],
    ['a trailing number', '1h30'],
    ['a plus sign', '+5m'],
    ['an exponent', '1e3ms'],
    ['more than the largest safe integer', `${Number.MAX_SAFE_INTEGER + 2}ms`],
    ['days overflowing a safe integer', '999999999999d'],
  ];
  it.each(invalid)('refuses %s: %j', (_name, given) => {
    expect(parseDuration(given)).toBeUndefined();
    expect(() => durationMs(given)).toThrow(TypeError);
  });
});

describe('formatDuration', () => {
  const cases: ReadonlyArray<[string, { given: number; want: string }]> = [
    ['zero', { given: 0, want: '0s' }],
    ['milliseconds', { given: 250, want: '250ms' }],
    ['seconds', { given: 30_000, want: '30s' }],
    ['carries seconds into minutes', { given: 90_000, want: '1m30s' }],
    ['hours and minutes', { given: 5_400_000, want: '1h30m' }],
    ['days', { given: 172_800_000, want: '2d' }],
    ['skips empty units', { given: 86_400_001, want: '1d1ms' }],
  ];
  it.each(cases)('%s: %s', (_name, { given, want }) => {
    expect(formatDuration(given)).toBe(want);
  });

  it('round-trips: parseDuration(formatDuration(ms)) === ms for whole milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (ms) => parseDuration(formatDuration(ms)) === ms),
      { numRuns: 1000 },
    );
  });

  it('normalizes: formatDuration(parseDuration(text)) is the canonical text of the same length of time', () => {
    const cases: ReadonlyArray<[string, string]> = [
      ['1h30m', '1h30m'],
      ['90m', '1h30m'],
      ['30m1h', '1h30m'],
      ['1000ms', '1s'],
      ['0m', '0s'],
    ];
    for (const [given, want] of cases) expect(formatDuration(durationMs(given))).toBe(want);
  });
});

describe('promDuration', () => {
  const cases: ReadonlyArray<[string, { given: number; want: string }]> = [
    ['whole seconds', { given: 300_000, want: '300s' }],
    ['zero', { given: 0, want: '0s' }],
    ['milliseconds', { given: 1_500, want: '1500ms' }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(promDuration(given)).toBe(want);
  });
});
