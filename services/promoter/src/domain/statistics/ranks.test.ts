import { describe, expect, it } from 'vitest';
import { averageRanks } from './ranks.js';

type Case = [name: string, { given: readonly number[]; want: { ranks: number[]; tieGroupSizes: number[] } }];

// Checked against R's rank() (ties.method = "average") and SciPy's rankdata(method='average').
const cases: readonly Case[] = [
  ['nothing to rank', { given: [], want: { ranks: [], tieGroupSizes: [] } }],
  ['one value has rank 1', { given: [42], want: { ranks: [1], tieGroupSizes: [1] } }],
  ['the docstring example: a tie in the middle', { given: [10, 20, 20, 5], want: { ranks: [2, 3.5, 3.5, 1], tieGroupSizes: [1, 1, 2] } }],
  ['ranks follow numeric order, not text order', { given: [10, 9, 100, -1], want: { ranks: [3, 2, 4, 1], tieGroupSizes: [1, 1, 1, 1] } }],
  ['a tie at the start', { given: [1, 1, 2], want: { ranks: [1.5, 1.5, 3], tieGroupSizes: [2, 1] } }],
  ['a tie at the end', { given: [3, 2, 3], want: { ranks: [2.5, 1, 2.5], tieGroupSizes: [1, 2] } }],
  ['all values tied share the middle rank', { given: [0, 0, 0, 0], want: { ranks: [2.5, 2.5, 2.5, 2.5], tieGroupSizes: [4] } }],
  ['three tied values and two more groups', { given: [5, 7, 5, 5, 1, 7], want: { ranks: [3, 5.5, 3, 3, 1, 5.5], tieGroupSizes: [1, 3, 2] } }],
  [
    'infinities rank at the ends and tie with each other',
    {
      given: [Number.POSITIVE_INFINITY, 0, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
      want: { ranks: [3.5, 2, 1, 3.5], tieGroupSizes: [1, 1, 2] },
    },
  ],
];

describe('averageRanks', () => {
  it.each(cases)('%s', (_name, { given, want }) => {
    const ranking = averageRanks(given);
    expect(ranking.ranks).toEqual(want.ranks);
    expect(ranking.tieGroupSizes).toEqual(want.tieGroupSizes);
  });
});
