import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { averageRanks } from './ranks.js';
import { exactUpperTail } from './mann-whitney-exact.js';
import { mannWhitneyU } from './mann-whitney.js';
import type { MannWhitneyOptions, MannWhitneyResult } from './mann-whitney.js';

function expectClose(actual: number, expected: number, tolerance: number): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

// Published data sets.
// SciPy `mannwhitneyu` docstring (from Shier 2004): diagnosis ages of type II diabetes.
const males = [19, 22, 16, 29, 24];
const females = [20, 11, 17, 12];
// R `?wilcox.test` (Hollander & Wolfe 1973, p. 69): permeability constants, term (x) vs 12-26 weeks (y).
const term = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
const early = [1.15, 0.88, 0.9, 0.74, 1.21];
// endmemo.com "R wilcox.test" page: data with ties, so R uses the normal approximation.
const tiedA = [1, 5, 9, 24, 56, 21, 3, 7, 21, 4];
const tiedB = [12, 15, 5, 9, 9, 14, 56, 22, 3, 7, 32, 5];
const tiedC = [1233, 4356, 987, 39999, 1111, 200000];

interface Given {
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly options: MannWhitneyOptions;
}

interface Want {
  readonly u1: number;
  readonly pValue: number;
  readonly method: MannWhitneyResult['method'];
  /** Absolute tolerance: tight where the source prints all digits, loose where it rounds. */
  readonly tolerance: number;
}

type Case = [name: string, { given: Given; want: Want }];

function row(name: string, given: Given, want: Want): Case {
  return [name, { given, want }];
}

const exact = 'exact' as const;
const asymptotic = 'asymptotic' as const;

const references: readonly Case[] = [
  row(
    'SciPy docs: males vs females, exact two-sided (U1 = 17, p = 0.1111111111111111)',
    { x: males, y: females, options: { method: exact } },
    { u1: 17, pValue: 0.1111111111111111, method: exact, tolerance: 1e-15 },
  ),
  row(
    'SciPy docs: the same, method auto picks exact (no ties, n <= 8)',
    { x: males, y: females, options: {} },
    { u1: 17, pValue: 0.1111111111111111, method: exact, tolerance: 1e-15 },
  ),
  row(
    'SciPy docs: males vs females, asymptotic (p = 0.11134688653314041)',
    { x: males, y: females, options: { method: asymptotic } },
    { u1: 17, pValue: 0.11134688653314041, method: asymptotic, tolerance: 1e-14 },
  ),
  row(
    'SciPy docs: asymptotic without continuity correction (p = 0.0864107329737)',
    { x: males, y: females, options: { method: asymptotic, continuity: false } },
    { u1: 17, pValue: 0.0864107329737, method: asymptotic, tolerance: 1e-12 },
  ),
  row(
    'SciPy docs: females vs males, less, exact (U = 3, p = 0.05555555555555555)',
    { x: females, y: males, options: { alternative: 'less', method: exact } },
    { u1: 3, pValue: 0.05555555555555555, method: exact, tolerance: 1e-15 },
  ),
  row(
    'R ?wilcox.test: permeability, greater (W = 35, p-value = 0.1272, exact)',
    { x: term, y: early, options: { alternative: 'greater' } },
    { u1: 35, pValue: 0.1272, method: exact, tolerance: 5e-5 },
  ),
  row(
    'R ?wilcox.test: permeability, greater, exact = FALSE, correct = FALSE (p-value = 0.1103)',
    { x: term, y: early, options: { alternative: 'greater', method: asymptotic, continuity: false } },
    { u1: 35, pValue: 0.1103, method: asymptotic, tolerance: 5e-5 },
  ),
  row(
    'endmemo R wilcox.test: ties, two-sided with continuity (W = 51.5, p-value = 0.5966)',
    { x: tiedA, y: tiedB, options: {} },
    { u1: 51.5, pValue: 0.5966, method: asymptotic, tolerance: 5e-5 },
  ),
  row(
    'endmemo R wilcox.test: complete separation with ties (W = 0, p-value = 0.001364)',
    { x: tiedA, y: tiedC, options: {} },
    { u1: 0, pValue: 0.001364, method: asymptotic, tolerance: 5e-7 },
  ),
];

// Computed here with SciPy 1.17.1 `mannwhitneyu`, full precision, to pin the one-sided tie handling.
const scipyComputed: readonly Case[] = [
  row(
    'ties, less',
    { x: tiedA, y: tiedB, options: { alternative: 'less' } },
    { u1: 51.5, pValue: 0.29829845131399085, method: asymptotic, tolerance: 1e-13 },
  ),
  row(
    'ties, greater',
    { x: tiedA, y: tiedB, options: { alternative: 'greater' } },
    { u1: 51.5, pValue: 0.7242330662159162, method: asymptotic, tolerance: 1e-13 },
  ),
  row(
    'ties, two-sided',
    { x: tiedA, y: tiedB, options: {} },
    { u1: 51.5, pValue: 0.5965969026279817, method: asymptotic, tolerance: 1e-13 },
  ),
  row(
    'separation with ties',
    { x: tiedA, y: tiedC, options: {} },
    { u1: 0, pValue: 0.0013643929543816092, method: asymptotic, tolerance: 1e-15 },
  ),
  row(
    'permeability exact',
    { x: term, y: early, options: { alternative: 'greater' } },
    { u1: 35, pValue: 0.1272061272061272, method: exact, tolerance: 1e-15 },
  ),
  row(
    'permeability, asymptotic, no correction',
    { x: term, y: early, options: { alternative: 'greater', method: asymptotic, continuity: false } },
    { u1: 35, pValue: 0.11033568095992347, method: asymptotic, tolerance: 1e-14 },
  ),
  row(
    '15 vs 15 separated (both > 8: asymptotic)',
    { x: range(1, 15), y: range(16, 30), options: {} },
    { u1: 0, pValue: 3.3918213908250945e-6, method: asymptotic, tolerance: 1e-17 },
  ),
  row(
    '3 vs 4 separated, exact: 2/C(7,3)',
    { x: [1, 2, 3], y: [4, 5, 6, 7], options: { method: exact } },
    { u1: 0, pValue: 0.05714285714285714, method: exact, tolerance: 1e-15 },
  ),
  row(
    'identical samples, greater',
    { x: [1, 2, 3], y: [1, 2, 3], options: { alternative: 'greater' } },
    { u1: 4.5, pValue: 0.5902615116112394, method: asymptotic, tolerance: 1e-13 },
  ),
];

describe('mannWhitneyU reference values', () => {
  it.each([...references, ...scipyComputed])('%s', (_name, { given: { x, y, options }, want }) => {
    const result = mannWhitneyU(x, y, options);
    expect(result.u1).toBe(want.u1);
    expect(result.u2).toBe(x.length * y.length - want.u1);
    expect(result.method).toBe(want.method);
    expectClose(result.pValue, want.pValue, want.tolerance);
  });

  it('reports U2 = 3 for the SciPy example (SciPy docs: "U2 = nx*ny - U1" prints 3.0)', () => {
    expect(mannWhitneyU(males, females).u2).toBe(3);
  });
});

describe('mannWhitneyU effect sizes', () => {
  it('common-language effect size and rank-biserial correlation from U1', () => {
    const { effectSize } = mannWhitneyU(males, females);
    expect(effectSize.commonLanguage).toBe(17 / 20);
    expect(effectSize.rankBiserial).toBeCloseTo(0.7, 15);
  });

  it('Hodges-Lehmann shift is the median of the 50 pairwise differences x - y', () => {
    // Sorted differences 25 and 26 of the permeability data are 0.30 and 0.31 (checked by hand).
    expectClose(mannWhitneyU(term, early).effectSize.hodgesLehmann, 0.305, 1e-12);
  });

  it('ratios of medians and means; null when the baseline is 0', () => {
    const result = mannWhitneyU([2, 4, 6], [1, 2, 3]);
    expect(result.effectSize.medianRatio).toBe(2);
    expect(result.effectSize.meanRatio).toBe(2);
    const zero = mannWhitneyU([1, 2], [0, 0, 0]);
    expect(zero.effectSize.medianRatio).toBeNull();
    expect(zero.effectSize.meanRatio).toBeNull();
  });
});

describe('mannWhitneyU edge cases', () => {
  it('throws a clear RangeError on an empty sample', () => {
    expect(() => mannWhitneyU([], [1, 2])).toThrow(/sample x is empty/);
    expect(() => mannWhitneyU([1], [])).toThrow(/sample y is empty/);
  });

  it('throws on NaN values', () => {
    expect(() => mannWhitneyU([1, Number.NaN], [1, 2])).toThrow(/NaN/);
  });

  it('all values tied: no evidence, z = 0 and p = 1 (SciPy also gives 1.0)', () => {
    for (const alternative of ['two-sided', 'greater', 'less'] as const) {
      const result = mannWhitneyU([5, 5, 5], [5, 5, 5], { alternative });
      expect(result).toMatchObject({ u1: 4.5, z: 0, pValue: 1, method: 'asymptotic', ties: true });
    }
  });

  it('identical samples without ties inside them: p = 1 two-sided', () => {
    const result = mannWhitneyU([1, 2, 3, 4], [1, 2, 3, 4]);
    expect(result.pValue).toBe(1);
    expect(result.effectSize.rankBiserial).toBe(0);
    expect(result.effectSize.hodgesLehmann).toBe(0);
  });

  it('forcing the exact method with ties is refused', () => {
    expect(() => mannWhitneyU([1, 2, 2], [3, 4], { method: 'exact' })).toThrow(/no ties/);
  });

  it('ranks infinite values like any other', () => {
    const result = mannWhitneyU([Number.POSITIVE_INFINITY, 10], [1, 2], { alternative: 'greater' });
    expect(result.u1).toBe(4);
  });
});

/** Fixed so every run checks the same cases; the properties hold for any seed. */
const FIXED_SEED = { seed: 1947, numRuns: 200 };

describe('mannWhitneyU properties', () => {
  const sample = fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 12 });

  it('U1 + U2 = n1*n2, p in [0, 1], and swapping samples mirrors the one-sided tests', () => {
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        const greater = mannWhitneyU(x, y, { alternative: 'greater' });
        const mirrored = mannWhitneyU(y, x, { alternative: 'less' });
        expect(greater.u1 + greater.u2).toBe(x.length * y.length);
        expect(greater.pValue).toBeGreaterThanOrEqual(0);
        expect(greater.pValue).toBeLessThanOrEqual(1);
        expect(mirrored.u1).toBe(greater.u2);
        expectClose(mirrored.pValue, greater.pValue, 1e-12);
      }),
      FIXED_SEED,
    );
  });

  it('the exact tail matches brute-force enumeration of all rank assignments', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), (n1, n2) => {
        const counts = bruteForceDistribution(n1, n2);
        const total = counts.reduce((a, b) => a + b, 0);
        let tail = 0;
        for (let u = counts.length - 1; u >= 0; u--) {
          tail += counts[u]!;
          expectClose(exactUpperTail(u, n1, n2), tail / total, 1e-14);
        }
      }),
      FIXED_SEED,
    );
  });

  it('average ranks sum to n(n+1)/2', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 30 }), (values) => {
        const sum = averageRanks(values).ranks.reduce((a, b) => a + b, 0);
        expect(sum).toBe((values.length * (values.length + 1)) / 2);
      }),
      FIXED_SEED,
    );
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Counts of U over every way to give n1 of the ranks 1..n1+n2 to the first sample. */
function bruteForceDistribution(n1: number, n2: number): number[] {
  const counts = new Array<number>(n1 * n2 + 1).fill(0);
  const n = n1 + n2;
  for (let mask = 0; mask < 1 << n; mask++) {
    let bits = 0;
    for (let i = 0; i < n; i++) if (mask & (1 << i)) bits++;
    if (bits !== n1) continue;
    let rankSum = 0;
    for (let i = 0; i < n; i++) if (mask & (1 << i)) rankSum += i + 1;
    const u = rankSum - (n1 * (n1 + 1)) / 2;
    counts[u] = counts[u]! + 1;
  }
  return counts;
}
