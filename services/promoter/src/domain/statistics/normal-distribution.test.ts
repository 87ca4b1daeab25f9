import { describe, expect, it } from 'vitest';
import { erfc, normalCdf, normalSf } from './normal-distribution.js';

/** Relative closeness; absolute near zero. */
function expectClose(actual: number, expected: number, relative = 1e-13): void {
  const scale = Math.max(Math.abs(expected), Number.MIN_VALUE);
  expect(Math.abs(actual - expected) / scale, `${actual} vs ${expected}`).toBeLessThanOrEqual(relative);
}

describe('erfc', () => {
  // Reference values: CPython 3 `math.erfc` (C library erfc, correctly rounded to ~1 ulp).
  const cases: ReadonlyArray<[string, { given: number; want: number }]> = [
    ['zero', { given: 0, want: 1 }],
    ['0.1', { given: 0.1, want: 0.8875370839817152 }],
    ['0.5', { given: 0.5, want: 0.4795001221869535 }],
    ['1', { given: 1, want: 0.15729920705028513 }],
    ['2', { given: 2, want: 0.004677734981047265 }],
    ['just below the series/continued-fraction switch', { given: 0.9999, want: 0.15734072195124052 }],
    ['1.5', { given: 1.5, want: 0.033894853524689274 }],
    ['2.4999', { given: 2.4999, want: 0.0004071699003334514 }],
    ['2.5', { given: 2.5, want: 0.0004069520174449589 }],
    ['3', { given: 3, want: 2.2090496998585438e-5 }],
    ['5', { given: 5, want: 1.5374597944280351e-12 }],
    ['10', { given: 10, want: 2.088487583762545e-45 }],
    ['26 (near underflow)', { given: 26, want: 5.663192408856143e-296 }],
    ['negative', { given: -1, want: 1.842700792949715 }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expectClose(erfc(given), want);
  });

  it('handles infinities and NaN', () => {
    expect(erfc(Number.POSITIVE_INFINITY)).toBe(0);
    expect(erfc(Number.NEGATIVE_INFINITY)).toBe(2);
    expect(erfc(Number.NaN)).toBeNaN();
  });
});

describe('normal tails', () => {
  // Reference values: SciPy 1.17 `scipy.stats.norm.sf` / `norm.cdf`.
  it('matches SciPy at the 97.5% quantile and in the far tail', () => {
    expectClose(normalSf(1.959963984540054), 0.025, 1e-12);
    expectClose(normalCdf(-1.959963984540054), 0.025, 1e-12);
    expectClose(normalSf(8), 6.22096057427174e-16, 1e-12);
    expectClose(normalCdf(-3), 0.0013498980316300933, 1e-12);
  });

  it('sf and cdf add up to one', () => {
    for (const z of [-4, -1.5, -0.1, 0, 0.3, 2, 5]) expectClose(normalSf(z) + normalCdf(z), 1, 1e-15);
  });
});
