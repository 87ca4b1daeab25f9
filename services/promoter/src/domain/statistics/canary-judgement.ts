/**
 * Canary-versus-baseline judgement with the Mann-Whitney U test, in the spirit of Kayenta's Mann-Whitney
 * classifier: a metric fails when the canary is significantly different from the baseline in the bad
 * direction AND the difference is large enough to matter. Pure, no I/O.
 */
import { median } from './descriptive.js';
import { mannWhitneyU } from './mann-whitney.js';
import type { Alternative, MannWhitneyResult } from './mann-whitney.js';

/** Which change of the metric is bad: `increase` (latency, errors), `decrease` (throughput), `either`. */
export type BadDirection = 'increase' | 'decrease' | 'either';

export interface CanaryJudgementOptions {
  /** Confidence level, e.g. 0.95; the test's significance level is 1 - confidence. */
  readonly confidence: number;
  /**
   * Smallest relative shift that fails the canary, as a fraction of the baseline median: 0.1 means the
   * canary's location (Hodges-Lehmann shift) must move at least 10% of the baseline median in the bad
   * direction. 0 fails on any significant difference. When the baseline median is 0, any non-zero shift
   * counts as an infinite relative shift.
   */
  readonly minEffectSize: number;
  readonly direction: BadDirection;
}

export type CanaryVerdict = 'pass' | 'fail' | 'inconclusive';

export interface CanaryJudgement {
  readonly verdict: CanaryVerdict;
  /** One human sentence that says why. */
  readonly reason: string;
  /** 1 - confidence. */
  readonly alpha: number;
  /** Values actually compared, after dropping NaN (Prometheus' "no value"). */
  readonly canaryCount: number;
  readonly baselineCount: number;
  readonly canaryMedian: number | null;
  readonly baselineMedian: number | null;
  /** Hodges-Lehmann shift canary - baseline, divided by |baseline median|; null when inconclusive. */
  readonly relativeShift: number | null;
  /** The underlying test (canary is x, baseline is y); absent when inconclusive. */
  readonly test?: MannWhitneyResult;
}

/**
 * Judges a canary metric against its baseline.
 *
 * - One-sided test in the bad direction (`greater` for `increase`, `less` for `decrease`), two-sided for
 *   `either`; continuity-corrected normal approximation, or the exact distribution for small samples
 *   without ties (see `mannWhitneyU`).
 * - fail: p < 1 - confidence and the relative shift in the bad direction is >= minEffectSize.
 * - pass: otherwise, including identical samples.
 * - inconclusive: either sample is empty after dropping NaN values.
 *
 * @example
 * const judgement = canaryJudgement(canaryLatencies, baselineLatencies, {
 *   confidence: 0.95, minEffectSize: 0.1, direction: 'increase',
 * });
 * if (judgement.verdict === 'fail') console.log(judgement.reason);
 */
export function canaryJudgement(
  canary: readonly number[],
  baseline: readonly number[],
  options: CanaryJudgementOptions,
): CanaryJudgement {
  const { confidence, minEffectSize, direction } = options;
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`canaryJudgement: confidence must be between 0 and 1 (exclusive), got ${confidence}`);
  }
  if (!(minEffectSize >= 0)) {
    throw new RangeError(`canaryJudgement: minEffectSize must be >= 0, got ${minEffectSize}`);
  }
  const alpha = 1 - confidence;
  const x = canary.filter((value) => !Number.isNaN(value));
  const y = baseline.filter((value) => !Number.isNaN(value));
  const base = { alpha, canaryCount: x.length, baselineCount: y.length };

  if (x.length === 0 || y.length === 0) {
    const missing =
      x.length === 0 && y.length === 0 ? 'canary and baseline have' : x.length === 0 ? 'canary has' : 'baseline has';
    return {
      ...base,
      verdict: 'inconclusive',
      reason: `Cannot compare: the ${missing} no values.`,
      canaryMedian: x.length === 0 ? null : median(x),
      baselineMedian: y.length === 0 ? null : median(y),
      relativeShift: null,
    };
  }

  const alternative: Alternative =
    direction === 'increase' ? 'greater' : direction === 'decrease' ? 'less' : 'two-sided';
  const test = mannWhitneyU(x, y, { alternative });
  const canaryMedian = median(x);
  const baselineMedian = median(y);
  const shift = test.effectSize.hodgesLehmann;
  const relativeShift = relative(shift, baselineMedian);
  const badShift =
    direction === 'increase' ? relativeShift : direction === 'decrease' ? -relativeShift : Math.abs(relativeShift);
  const significant = test.pValue < alpha;
  const verdict: CanaryVerdict = significant && badShift >= minEffectSize ? 'fail' : 'pass';

  const moved = test.z >= 0 ? 'higher' : 'lower';
  const facts =
    `canary median ${fmt(canaryMedian)} vs baseline ${fmt(baselineMedian)}, ` +
    `shift ${signed(shift)} (${percent(relativeShift)} of the baseline median), ` +
    `p = ${fmt(test.pValue)} ${significant ? '<' : '>='} ${fmt(alpha)} (${describeTest(test)})`;
  let reason: string;
  if (verdict === 'fail') {
    const allowed = magnitude(minEffectSize);
    reason = `Canary is significantly ${moved} than the baseline by at least the allowed ${allowed}: ${facts}.`;
  } else if (!significant) {
    reason = `No significant ${badWord(direction)} of the canary over the baseline: ${facts}.`;
  } else {
    const allowed = magnitude(minEffectSize);
    reason = `Canary differs significantly but not by ${allowed} in the bad direction (${badWord(direction)}): ${facts}.`;
  }
  return { ...base, verdict, reason, canaryMedian, baselineMedian, relativeShift, test };
}

function relative(shift: number, baselineMedian: number): number {
  if (baselineMedian !== 0) return shift / Math.abs(baselineMedian);
  return shift === 0 ? 0 : Math.sign(shift) * Number.POSITIVE_INFINITY;
}

function badWord(direction: BadDirection): string {
  return direction === 'either' ? 'change' : direction;
}

function describeTest(test: MannWhitneyResult): string {
  const sides = test.alternative === 'two-sided' ? 'two-sided' : 'one-sided';
  return `Mann-Whitney U = ${fmt(test.u1)}, ${sides}, ${test.method}`;
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 1e-3) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

function signed(value: number): string {
  return value > 0 ? `+${fmt(value)}` : fmt(value);
}

function magnitude(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}

function percent(fraction: number): string {
  if (!Number.isFinite(fraction)) return fraction > 0 ? '+infinite %' : '-infinite %';
  return `${fraction > 0 ? '+' : ''}${Number((fraction * 100).toPrecision(3))}%`;
}
