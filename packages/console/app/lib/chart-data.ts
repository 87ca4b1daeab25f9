/**
 * What a check's chart draws, computed from the stored measurements and the check's definition: x in
 * Unix seconds, the value, the bound(s) per point, the baseline series, one marker series per result at
 * the measured value, and a row of marks along the bottom for the measurements that have no value (an
 * error, no data): a point at the bound or at zero would read as a value that was never measured.
 */
import type { Check, CheckResult } from '@promoter/sdk';

export type Outcome = CheckResult['result'];

export interface ChartData {
  readonly x: number[];
  readonly value: (number | null)[];
  readonly upper: (number | null)[];
  readonly lower: (number | null)[];
  readonly baseline: (number | null)[];
  readonly results: Outcome[];
  readonly markers: { result: Outcome; y: (number | null)[] }[];
  /** {@link NO_VALUE_Y} (on a scale of its own) where a measurement has no value, null elsewhere. */
  readonly noValue: (number | null)[];
  /** How many measurements without a value each result has, in {@link OUTCOMES} order; none listed at 0. */
  readonly noValueCounts: { result: Outcome; count: number }[];
  readonly boundLabel: string | null;
}

/**
 * The no-value row: a band over the bottom {@link NO_VALUE_BAND} of the plot, below every value (the value
 * scale is widened downwards to leave it free, see {@link valueRange}), with its marks at
 * {@link NO_VALUE_Y} on a scale of its own whose range, {@link NO_VALUE_RANGE}, puts them mid-band.
 */
export const NO_VALUE_BAND = 0.125;
export const NO_VALUE_Y = 0;
export const NO_VALUE_RANGE: [number, number] = [-1, 15];

/**
 * The value axis's range when a no-value band is drawn: `[low, high]` (the range the values want) widened
 * downwards so that `low` sits on the band's top edge. Ticks below `low` are not labelled.
 */
export function valueRange([low, high]: readonly [number, number], band: boolean): [number, number] {
  if (!band) return [low, high];
  return [low - (NO_VALUE_BAND * (high - low)) / (1 - NO_VALUE_BAND), high];
}

const OUTCOMES: readonly Outcome[] = ['pass', 'fail', 'inconclusive', 'error'];

export function chartSeries(check: Check | undefined, results: readonly CheckResult[]): ChartData {
  // The API's timestamps are ISO strings of one format: they sort as plain strings (localeCompare is slower).
  const sorted = [...results].sort((a, b) => (a.measuredAt < b.measuredAt ? -1 : a.measuredAt > b.measuredAt ? 1 : a.id - b.id));
  const x = sorted.map((r) => Date.parse(r.measuredAt) / 1000);
  const value = sorted.map((r) => (hasValue(r) ? r.value! : null));
  const baseline = sorted.map((r) => r.baselineValue ?? null);
  const upper = sorted.map((r) => upperBound(check, r));
  const lower = sorted.map((r) => lowerBound(check, r));
  // Always all four, in a fixed order: the chart's series are fixed when it is created.
  const markers = OUTCOMES.map((result) => ({
    result,
    y: sorted.map((r, i) => (r.result === result ? value[i]! : null)),
  }));
  const noValue = sorted.map((r) => (hasValue(r) ? null : NO_VALUE_Y));
  const noValueCounts = OUTCOMES.map((result) => ({ result, count: sorted.filter((r) => r.result === result && !hasValue(r)).length })).filter((c) => c.count > 0);
  return { x, value, upper, lower, baseline, results: sorted.map((r) => r.result), markers, noValue, noValueCounts, boundLabel: sorted.at(-1)?.bound ?? null };
}

function hasValue(result: CheckResult): boolean {
  return typeof result.value === 'number' && Number.isFinite(result.value);
}

/**
 * The time axis's range (Unix seconds) for measurements at `x` (sorted): exactly their span, or a minute
 * either side when they all share one time, which uPlot would otherwise widen to years.
 */
export function timeRange(x: ArrayLike<number>): [number, number] {
  if (x.length === 0) {
    const now = Date.now() / 1000;
    return [now - 60, now + 60];
  }
  const first = x[0]!;
  const last = x[x.length - 1]!;
  return first === last ? [first - 60, last + 60] : [first, last];
}

/** The caption's words for the no-value row, e.g. `6 errors without a value, marked along the bottom`; '' when none. */
export function noValueSummary(counts: ChartData['noValueCounts']): string {
  if (counts.length === 0) return '';
  const NAMES: Record<Outcome, [string, string]> = { error: ['error', 'errors'], inconclusive: ['inconclusive', 'inconclusive'], fail: ['failure', 'failures'], pass: ['pass', 'passes'] };
  const parts = counts.map(({ result, count }) => `${count} ${NAMES[result][count === 1 ? 0 : 1]}`);
  const listed = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  return `${listed} without a value, marked along the bottom`;
}

function upperBound(check: Check | undefined, result: CheckResult): number | null {
  if (!check) return null;
  if (typeof check.max === 'number') return check.max;
  if (check.maxIncrease !== undefined && typeof result.baselineValue === 'number') return shift(result.baselineValue, check.maxIncrease, 1);
  return null;
}

function lowerBound(check: Check | undefined, result: CheckResult): number | null {
  if (!check) return null;
  if (typeof check.min === 'number') return check.min;
  if (check.maxDecrease !== undefined && typeof result.baselineValue === 'number') return shift(result.baselineValue, check.maxDecrease, -1);
  return null;
}

function shift(base: number, amount: number | string, sign: 1 | -1): number {
  const delta = typeof amount === 'string' ? (Math.abs(base) * Number.parseFloat(amount)) / 100 : amount;
  return base + sign * delta;
}
