/**
 * The Mann-Whitney U test (Wilcoxon rank-sum test) for two independent samples, computed the way SciPy's
 * `scipy.stats.mannwhitneyu` does, so its numbers can be checked against SciPy and R. Pure, no I/O.
 */
import { hodgesLehmannShift, mean, median } from './descriptive.js';
import { exactUpperTail, exactWork } from './mann-whitney-exact.js';
import { normalCdf, normalSf } from './normal-distribution.js';
import { averageRanks } from './ranks.js';

/**
 * - `two-sided`: the distributions of x and y differ.
 * - `greater`: x is stochastically greater than y.
 * - `less`: x is stochastically less than y.
 */
export type Alternative = 'two-sided' | 'greater' | 'less';

export type MannWhitneyMethod = 'exact' | 'asymptotic';

export interface MannWhitneyOptions {
  /** Default `two-sided`. */
  readonly alternative?: Alternative;
  /** Continuity correction of 1/2 in the normal approximation (SciPy's `use_continuity`). Default true. */
  readonly continuity?: boolean;
  /**
   * Default `auto`, SciPy's rule: `exact` when there are no ties and at least one sample has at most 8
   * values; `asymptotic` otherwise, and also when the exact distribution would cost over a million steps
   * (e.g. 8 values against more than 250), where SciPy would still go exact. Forcing `exact` with ties
   * throws (the exact distribution assumes none), as does forcing it past `MAX_EXACT_WORK`.
   */
  readonly method?: MannWhitneyMethod | 'auto';
}

/** Effect sizes; "x" and "y" are the first and second argument of `mannWhitneyU`. */
export interface MannWhitneyEffectSize {
  /**
   * Common-language effect size U1/(n1*n2) = P(X > Y) + P(X = Y)/2, in [0, 1]; 0.5 means no effect.
   * Also called the probability of superiority, or the AUC.
   */
  readonly commonLanguage: number;
  /** Rank-biserial correlation (U1 - U2)/(n1*n2) = 2*commonLanguage - 1, in [-1, 1]; 0 means no effect. */
  readonly rankBiserial: number;
  /**
   * Location shift, Hodges-Lehmann estimator: the median of all pairwise differences x[i] - y[j], in the
   * data's unit. Positive when x tends to be larger (R's "difference in location", Kayenta's estimate).
   */
  readonly hodgesLehmann: number;
  /** median(x) / median(y); null when median(y) is 0. */
  readonly medianRatio: number | null;
  /** mean(x) / mean(y), the ratio Kayenta reports beside its classification; null when mean(y) is 0. */
  readonly meanRatio: number | null;
}

export interface MannWhitneyResult {
  readonly n1: number;
  readonly n2: number;
  /** U for x: the number of pairs with x > y, ties counting 1/2. SciPy's `statistic`, R's `W`. */
  readonly u1: number;
  /** U for y: n1*n2 - u1. */
  readonly u2: number;
  /** The statistic the p-value is taken from: u1 (`greater`), u2 (`less`), max(u1, u2) (`two-sided`). */
  readonly u: number;
  /**
   * The standardized statistic (u1 - n1*n2/2 - correction) / sigma with tie-corrected sigma, as SciPy's
   * `zstatistic`; positive when x tends to be larger. Reported for both methods; the p-value uses it only
   * for `asymptotic`. 0 when every value is the same (sigma = 0).
   */
  readonly z: number;
  readonly pValue: number;
  readonly method: MannWhitneyMethod;
  readonly alternative: Alternative;
  /** Whether any value occurs more than once across both samples. */
  readonly ties: boolean;
  readonly effectSize: MannWhitneyEffectSize;
}

/** SciPy's `_mwu_choose_method` threshold. */
const EXACT_MAX_SMALLER_SAMPLE = 8;
/**
 * `auto` stays exact only while that is cheap (~10 ms; e.g. 8 against 250 values): with one sample that
 * large the normal approximation is already accurate to a few parts in a thousand.
 */
const AUTO_EXACT_MAX_WORK = 1_000_000;

/**
 * Mann-Whitney U test of x against y.
 *
 * Throws a RangeError for an empty sample or a NaN value: a test on no data has no answer, and a caller
 * that can meet empty data (a canary without traffic) should decide what that means before calling; see
 * `canaryJudgement`, which reports such a case as inconclusive. Infinite values are ranked normally.
 *
 * With every value equal (sigma = 0) the test has no evidence either way: z = 0 and p = 1.
 *
 * @example
 * const males = [19, 22, 16, 29, 24];
 * const females = [20, 11, 17, 12];
 * mannWhitneyU(males, females, { method: 'exact' }); // { u1: 17, u2: 3, pValue: 0.1111..., ... }
 */
export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  const alternative = options.alternative ?? 'two-sided';
  const continuity = options.continuity ?? true;
  validateSample('x', x);
  validateSample('y', y);

  const n1 = x.length;
  const n2 = y.length;
  const n = n1 + n2;
  const { ranks, tieGroupSizes } = averageRanks([...x, ...y]);
  const ties = tieGroupSizes.some((size) => size > 1);

  // Summing rank - (n1+1)/2 instead of forming the rank sum first keeps U1 exact for half-integers.
  let u1 = 0;
  for (let i = 0; i < n1; i++) u1 += ranks[i]! - (n1 + 1) / 2;
  const u2 = n1 * n2 - u1;
  const u = alternative === 'greater' ? u1 : alternative === 'less' ? u2 : Math.max(u1, u2);

  const method = chooseMethod(options.method ?? 'auto', n1, n2, ties);

  let tieTerm = 0;
  for (const t of tieGroupSizes) tieTerm += t * t * t - t;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const z = standardize(u1 - (n1 * n2) / 2, sigma, continuity, alternative);

  let pValue: number;
  if (method === 'exact') {
    pValue = Math.min(1, (alternative === 'two-sided' ? 2 : 1) * exactUpperTail(u, n1, n2));
  } else if (sigma === 0) {
    pValue = 1;
  } else if (alternative === 'greater') {
    pValue = normalSf(z);
  } else if (alternative === 'less') {
    pValue = normalCdf(z);
  } else {
    pValue = Math.min(1, 2 * normalSf(Math.abs(z)));
  }

  return {
    n1,
    n2,
    u1,
    u2,
    u,
    z,
    pValue,
    method,
    alternative,
    ties,
    effectSize: effectSizes(x, y, u1, u2),
  };
}

function validateSample(name: string, sample: readonly number[]): void {
  if (sample.length === 0) {
    throw new RangeError(`mannWhitneyU: sample ${name} is empty; the test needs at least one value in each sample`);
  }
  if (sample.some((value) => Number.isNaN(value))) {
    throw new RangeError(`mannWhitneyU: sample ${name} contains NaN; drop or replace missing values first`);
  }
}

function chooseMethod(
  requested: MannWhitneyMethod | 'auto',
  n1: number,
  n2: number,
  ties: boolean,
): MannWhitneyMethod {
  if (requested === 'exact') {
    if (ties) throw new RangeError('mannWhitneyU: the exact method assumes no ties; use the asymptotic method');
    return 'exact';
  }
  if (requested === 'asymptotic') return 'asymptotic';
  if (ties || Math.min(n1, n2) > EXACT_MAX_SMALLER_SAMPLE) return 'asymptotic';
  return exactWork(n1, n2) <= AUTO_EXACT_MAX_WORK ? 'exact' : 'asymptotic';
}

/**
 * The continuity correction moves the statistic 1/2 toward the mean, in the direction that can only raise
 * the p-value: always down for `greater`, always up for `less`, toward the mean for `two-sided`
 * (SciPy's `_correction_sign`).
 */
function standardize(centered: number, sigma: number, continuity: boolean, alternative: Alternative): number {
  if (sigma === 0) return 0;
  let numerator = centered;
  if (continuity) {
    const sign = alternative === 'greater' ? 1 : alternative === 'less' ? -1 : Math.sign(centered);
    numerator -= 0.5 * sign;
  }
  return numerator / sigma;
}

function effectSizes(x: readonly number[], y: readonly number[], u1: number, u2: number): MannWhitneyEffectSize {
  const pairs = x.length * y.length;
  const medianY = median(y);
  const meanY = mean(y);
  return {
    commonLanguage: u1 / pairs,
    rankBiserial: (u1 - u2) / pairs,
    hodgesLehmann: hodgesLehmannShift(x, y),
    medianRatio: medianY === 0 ? null : median(x) / medianY,
    meanRatio: meanY === 0 ? null : mean(x) / meanY,
  };
}
