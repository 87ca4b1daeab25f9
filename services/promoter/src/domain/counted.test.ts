import { describe, expect, it } from 'vitest';
import { counted } from './counted.js';

describe('counted', () => {
  it.each([
    ['none', { count: 0, noun: 'check', plural: undefined, want: '0 checks' }],
    ['one', { count: 1, noun: 'check', plural: undefined, want: '1 check' }],
    ['several', { count: 3, noun: 'check', plural: undefined, want: '3 checks' }],
    ['an irregular plural', { count: 2, noun: 'query', plural: 'queries', want: '2 queries' }],
    ['an irregular plural, one', { count: 1, noun: 'query', plural: 'queries', want: '1 query' }],
  ])('%s', (_name, { count, noun, plural, want }) => {
    expect(counted(count, noun, plural)).toBe(want);
  });
});
