import { describe, expect, it } from 'vitest';
import { exactUpperTail, exactWork, MAX_EXACT_WORK } from './mann-whitney-exact.js';

describe('exactWork', () => {
  it('is (n1 n2)^2 / 4, the same either way round', () => {
    expect(exactWork(3, 10)).toBe(225);
    expect(exactWork(10, 3)).toBe(225);
    expect(exactWork(1, 1)).toBe(0.25);
  });
});

describe('exactUpperTail', () => {
  it('one value against one: U is 0 or 1 with equal odds', () => {
    expect(exactUpperTail(0, 1, 1)).toBe(1);
    expect(exactUpperTail(1, 1, 1)).toBe(0.5);
    expect(exactUpperTail(2, 1, 1)).toBe(0);
  });

  it('one value against three: each U from 0 to 3 has probability 1/4, either way round', () => {
    for (const [u, want] of [[0, 1], [1, 0.75], [2, 0.5], [3, 0.25]] as const) {
      expect(exactUpperTail(u, 1, 3)).toBe(want);
      expect(exactUpperTail(u, 3, 1)).toBe(want);
    }
  });

  it('rounds a fractional U up and treats a negative one as 0', () => {
    expect(exactUpperTail(2.5, 1, 3)).toBe(0.25);
    expect(exactUpperTail(-4, 1, 3)).toBe(1);
  });

  const invalid: ReadonlyArray<[number, number]> = [
    [0, 3],
    [3, 0],
    [1.5, 3],
    [3, 2.5],
  ];
  it.each(invalid)('refuses sample sizes %s and %s', (n1, n2) => {
    expect(() => exactUpperTail(0, n1, n2)).toThrow(`sample sizes must be positive integers, got ${n1} and ${n2}`);
  });

  it('refuses sizes whose exact distribution costs more than the limit', () => {
    // 100 x 141: (14,100)^2 / 4 = 49,702,500 steps, under 50,000,000; 100 x 142 is over.
    expect(exactWork(100, 141)).toBeLessThan(MAX_EXACT_WORK);
    expect(exactWork(100, 142)).toBeGreaterThan(MAX_EXACT_WORK);
    expect(() => exactUpperTail(0, 100, 142)).toThrow('the exact Mann-Whitney distribution for n1=100, n2=142 is too expensive; use the asymptotic method');
  });
});
