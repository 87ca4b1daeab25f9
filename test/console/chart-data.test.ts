/** What a check's chart draws (packages/console/app/lib/chart-data.ts): real times, and no invented values. */
import { describe, expect, it } from 'vitest';
import type { Check, CheckResult } from '@promoter/sdk';
import { chartSeries, NO_VALUE_BAND, NO_VALUE_Y, noValueSummary, timeRange, valueRange } from '../../packages/console/app/lib/chart-data.js';

const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);
let nextId = 0;
const result = (second: number, outcome: CheckResult['result'], value: number | null): CheckResult =>
  ({ id: ++nextId, check: 'up', phase: 'pre', result: outcome, value, baselineValue: null, bound: 'max 0.05', message: '', measuredAt: new Date(T0 + second * 1000).toISOString() }) as CheckResult;
const check = { name: 'up', query: 'up', max: 0.05 } as Check;

describe('chartSeries', () => {
  it('draws measurements without a value on the no-value row only, never at the bound or zero', () => {
    const data = chartSeries(check, [result(0, 'error', null), result(15, 'error', null), result(30, 'inconclusive', null), result(45, 'fail', 0.2)]);
    expect(data.x).toEqual([0, 15, 30, 45].map((s) => T0 / 1000 + s));
    expect(data.value).toEqual([null, null, null, 0.2]);
    expect(data.markers.find((m) => m.result === 'error')?.y).toEqual([null, null, null, null]);
    expect(data.markers.find((m) => m.result === 'inconclusive')?.y).toEqual([null, null, null, null]);
    expect(data.markers.find((m) => m.result === 'fail')?.y).toEqual([null, null, null, 0.2]);
    expect(data.noValue).toEqual([NO_VALUE_Y, NO_VALUE_Y, NO_VALUE_Y, null]);
    expect(data.noValueCounts).toEqual([
      { result: 'inconclusive', count: 1 },
      { result: 'error', count: 2 },
    ]);
    // The bound is still drawn where it is known.
    expect(data.upper).toEqual([0.05, 0.05, 0.05, 0.05]);
  });

  it('has no no-value row when every measurement has a value', () => {
    const data = chartSeries(check, [result(0, 'pass', 0.01), result(15, 'fail', 0.3)]);
    expect(data.noValue).toEqual([null, null]);
    expect(data.noValueCounts).toEqual([]);
  });
});

describe('timeRange', () => {
  const cases: ReadonlyArray<[string, { given: number[]; want: [number, number] }]> = [
    ['the span of the measurements', { given: [1_800_000_000, 1_800_000_075], want: [1_800_000_000, 1_800_000_075] }],
    ['one time: a minute either side', { given: [1_800_000_000], want: [1_799_999_940, 1_800_000_060] }],
    ['several at one time: a minute either side', { given: [1_800_000_000, 1_800_000_000], want: [1_799_999_940, 1_800_000_060] }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(timeRange(given)).toEqual(want);
  });
});

describe('valueRange', () => {
  it('leaves the no-value band below the lowest value, and changes nothing without one', () => {
    expect(valueRange([0, 2], false)).toEqual([0, 2]);
    const [low, high] = valueRange([0, 2], true);
    expect(high).toBe(2);
    // 0, the lowest value the values want, sits on the band's top edge.
    expect((0 - low) / (high - low)).toBeCloseTo(NO_VALUE_BAND, 10);
  });
});

describe('noValueSummary', () => {
  const cases: ReadonlyArray<[string, { given: Parameters<typeof noValueSummary>[0]; want: string }]> = [
    ['none', { given: [], want: '' }],
    ['one error', { given: [{ result: 'error', count: 1 }], want: '1 error without a value, marked along the bottom' }],
    ['errors and no data', { given: [{ result: 'inconclusive', count: 2 }, { result: 'error', count: 6 }], want: '2 inconclusive and 6 errors without a value, marked along the bottom' }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(noValueSummary(given)).toBe(want);
  });
});
