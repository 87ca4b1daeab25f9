/** One date/time format across the console (packages/console/app/lib/format.ts). */
import { describe, expect, it } from 'vitest';
import { axisTimes, clock, clusterName, day, localInputValue, time } from '../../packages/console/app/lib/format.js';

// Local times: the console shows the browser's own zone, so the cases are written in the test's zone.
const at = (y: number, mo: number, d: number, h: number, mi: number, s: number) => new Date(y, mo - 1, d, h, mi, s);
const seconds = (date: Date) => date.getTime() / 1000;

describe('time', () => {
  const cases: ReadonlyArray<[string, { given: string | number | Date; want: string }]> = [
    ['a Date', { given: at(2026, 12, 5, 14, 3, 7), want: '2026-12-05 14:03:07' }],
    ['an ISO string from the API', { given: at(2026, 1, 2, 3, 4, 5).toISOString(), want: '2026-01-02 03:04:05' }],
    ['milliseconds', { given: at(2027, 10, 31, 23, 59, 59).getTime(), want: '2027-10-31 23:59:59' }],
    ['midnight is 00, not 24', { given: at(2026, 6, 1, 0, 0, 0), want: '2026-06-01 00:00:00' }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(time(given)).toBe(want);
  });

  it('is day and clock together, and the backtest inputs use the same day and clock', () => {
    const date = at(2026, 3, 9, 8, 7, 6);
    expect(time(date)).toBe(`${day(date)} ${clock(date)}`);
    expect(clock(date, false)).toBe('08:07');
    expect(localInputValue(date)).toBe('2026-03-09T08:07');
  });
});

describe('axisTimes', () => {
  it('labels ticks with the clock and the day under the first tick and each new day', () => {
    const ticks = [at(2026, 12, 5, 23, 59, 0), at(2026, 12, 6, 0, 0, 0), at(2026, 12, 6, 0, 1, 0)].map(seconds);
    expect(axisTimes(ticks, 60)).toEqual(['23:59\n2026-12-05', '00:00\n2026-12-06', '00:01']);
  });
  it('shows seconds when ticks are less than a minute apart', () => {
    const ticks = [at(2026, 12, 5, 12, 0, 0), at(2026, 12, 5, 12, 0, 15)].map(seconds);
    expect(axisTimes(ticks, 15)).toEqual(['12:00:00\n2026-12-05', '12:00:15']);
  });
});

describe('clusterName', () => {
  it('names a cluster the service named, and not the implicit `default`', () => {
    expect(clusterName({ cluster: 'apexalgo-iad' })).toBe('apexalgo-iad');
    expect(clusterName({ cluster: 'default' })).toBeUndefined();
    expect(clusterName({})).toBeUndefined();
  });
});
