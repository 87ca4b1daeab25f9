/** The console's list kept up to date from the event feed (packages/console/app/lib/promotion-rows.ts). */
import { describe, expect, it } from 'vitest';
import type { Promotion } from '@promoter/sdk';
import { upsertPromotion, type RowOptions } from '../../packages/console/app/lib/promotion-rows.js';

const promotion = (id: string, createdSecond: number, state: Promotion['state'] = 'pending', updatedSecond = createdSecond): Promotion =>
  ({
    id,
    state,
    createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, createdSecond)).toISOString(),
    updatedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, updatedSecond)).toISOString(),
  }) as Promotion;

const list = [promotion('c', 30), promotion('b', 20), promotion('a', 10)];
const all: RowOptions = { limit: 10 };

describe('upsertPromotion', () => {
  const cases: ReadonlyArray<[string, { given: Promotion; options?: RowOptions; want: string[] }]> = [
    ['a new promotion goes on top', { given: promotion('d', 40), want: ['d:pending', 'c:pending', 'b:pending', 'a:pending'] }],
    ['a state change replaces the row in place', { given: promotion('b', 20, 'analyzing', 25), want: ['c:pending', 'b:analyzing', 'a:pending'] }],
    ['an older copy does not replace a newer one', { given: promotion('b', 20, 'pending', 5), want: ['c:pending', 'b:pending', 'a:pending'] }],
    ['a promotion created between two rows lands between them', { given: promotion('x', 15), want: ['c:pending', 'b:pending', 'x:pending', 'a:pending'] }],
    ['a row that leaves the state filter leaves the list', { given: promotion('b', 20, 'aborted', 25), options: { state: 'pending', limit: 10 }, want: ['c:pending', 'a:pending'] }],
    ['a new promotion outside the state filter is not added', { given: promotion('d', 40, 'aborted'), options: { state: 'pending', limit: 10 }, want: ['c:pending', 'b:pending', 'a:pending'] }],
    ['the list keeps its limit', { given: promotion('d', 40), options: { limit: 3 }, want: ['d:pending', 'c:pending', 'b:pending'] }],
  ];

  it.each(cases)('%s', (_name, { given, options, want }) => {
    expect(upsertPromotion(list, given, options ?? all).map((p) => `${p.id}:${p.state}`)).toEqual(want);
  });
});
