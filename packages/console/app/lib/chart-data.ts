/**
 * What a check's chart draws, computed from the stored measurements and the check's definition: x in
 * Unix seconds, the value, the bound(s) per point, the baseline series, and one marker series per result.
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
  readonly boundLabel: string | null;
}

const OUTCOMES: readonly Outcome[] = ['pass', 'fail', 'inconclusive', 'error'];

export function chartSeries(check: Check | undefined, results: readonly CheckResult[]): ChartData {
  // The API's timestamps are ISO strings of one format: they sort as plain strings (localeCompare is slower).
  const sorted = [...results].sort((a, b) => (a.measuredAt < b.measuredAt ? -1 : a.measuredAt > b.measuredAt ? 1 : a.id - b.id));
  const x = sorted.map((r) => Date.parse(r.measuredAt) / 1000);
  const value = sorted.map((r) => r.value ?? null);
  const baseline = sorted.map((r) => r.baselineValue ?? null);
  const upper = sorted.map((r) => upperBound(check, r));
  const lower = sorted.map((r) => lowerBound(check, r));
  // A measurement without a value (no data, error) is marked on the bound, or on zero without one.
  const markerY = sorted.map((r, i) => r.value ?? upper[i] ?? lower[i] ?? 0);
  // Always all four, in a fixed order: the chart's series are fixed when it is created.
  const markers = OUTCOMES.map((result) => ({
    result,
    y: sorted.map((r, i) => (r.result === result ? markerY[i]! : null)),
  }));
  return { x, value, upper, lower, baseline, results: sorted.map((r) => r.result), markers, boundLabel: sorted.at(-1)?.bound ?? null };
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
