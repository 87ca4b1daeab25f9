import { describe, expect, it } from 'vitest';
import { hodgesLehmannShift, mean, median } from './descriptive.js';

type Case<G> = [name: string, { given: G; want: number }];

const medians: readonly Case<readonly number[]>[] = [
  ['one value is its own median', { given: [7], want: 7 }],
  ['odd count, unsorted: the middle of the sorted values', { given: [9, 1, 5], want: 5 }],
  ['even count, unsorted: the mean of the two middle values', { given: [3, 1, 2, 10], want: 2.5 }],
  ['two values: their mean', { given: [4, 1], want: 2.5 }],
  // A string sort would put 10 before 9 and -2 after -10; the median must sort numerically.
  ['numeric order, not text order', { given: [10, 9, 100, 8, 2], want: 9 }],
  ['negative values', { given: [-2, -10, -3], want: -3 }],
];

const means: readonly Case<readonly number[]>[] = [
  ['one value', { given: [4], want: 4 }],
  ['the sum over the count', { given: [1, 2, 6], want: 3 }],
  ['negatives cancel', { given: [-5, 5, 3], want: 1 }],
];

const shifts: readonly Case<{ x: readonly number[]; y: readonly number[] }>[] = [
  ['the median of the pairwise differences x - y (the docstring example)', { given: { x: [5, 6, 7], y: [1, 2] }, want: 4.5 }],
  ['one pair: its difference, x minus y', { given: { x: [3], y: [10] }, want: -7 }],
  // Differences 2-9=-7, 2-1=1, 8-9=-1, 8-1=7 (unsorted on purpose): the middle two are -1 and 1.
  ['an even number of differences: the mean of the middle two, after sorting', { given: { x: [2, 8], y: [9, 1] }, want: 0 }],
  // Differences 10-0, 10-1, 10-2, 0-0, 0-1, 0-2 = 10, 9, 8, 0, -1, -2: middle two 0 and 8.
  ['numeric order of the differences', { given: { x: [10, 0], y: [0, 1, 2] }, want: 4 }],
  ['odd number of differences: the middle one', { given: { x: [1, 2, 30], y: [0] }, want: 2 }],
];

describe('median', () => {
  it.each(medians)('%s', (_name, { given, want }) => {
    expect(median(given)).toBe(want);
  });

  it('is NaN for an empty sample', () => {
    expect(median([])).toBeNaN();
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('mean', () => {
  it.each(means)('%s', (_name, { given, want }) => {
    expect(mean(given)).toBe(want);
  });

  it('is NaN for an empty sample', () => {
    expect(mean([])).toBeNaN();
  });
});

describe('hodgesLehmannShift', () => {
  it.each(shifts)('%s', (_name, { given, want }) => {
    expect(hodgesLehmannShift(given.x, given.y)).toBe(want);
  });

  it('is NaN when either sample is empty', () => {
    expect(hodgesLehmannShift([], [1])).toBeNaN();
    expect(hodgesLehmannShift([1], [])).toBeNaN();
  });
});
