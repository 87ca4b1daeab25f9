/**
 * Judging one measurement of a check, for every check kind: from what Prometheus or a webhook answered
 * to a result (`pass`, `fail`, `inconclusive` for no data, `error`), the bound it was judged against, and
 * a sentence that says why. The runner fetches, these functions decide.
 */
import { parseAmount, POLICY_DEFAULTS, type CheckDocument, type CheckKind, type Phase, type Reduction } from '../policy/model.js';
import { canaryJudgement } from '../statistics/canary-judgement.js';

export type MeasurementResult = 'pass' | 'fail' | 'inconclusive' | 'error';

/** What one measurement decided, before it is stored with its query and time. */
export interface Judgement {
  readonly result: MeasurementResult;
  readonly value: number | null;
  readonly baselineValue: number | null;
  readonly bound: string | null;
  readonly message: string;
  readonly data?: Record<string, unknown>;
}

/** A judgement of one check at one instant, with what was asked to get it: the unit that is stored. */
export interface Measurement extends Judgement {
  readonly check: string;
  readonly kind: CheckKind;
  readonly phase: Phase;
  readonly query: string | null;
  readonly baselineQuery: string | null;
  readonly warnings: readonly string[];
  readonly measuredAt: Date;
  /** Set when the check cannot be measured until the service is reconfigured (no retry can help). */
  readonly unmeasurable?: true;
  /**
   * With `unmeasurable`: what the service lacks, as a sentence that is the same for every check lacking
   * the same (`the service has no PROMETHEUS_URL`), so a phase's reason can say it once for all of them.
   */
  readonly lacking?: string;
}

/** A measurement numbered within its check and phase (1, 2, …). */
export interface NumberedMeasurement {
  readonly sample: number;
  readonly measurement: Measurement;
}

/** A number from a query, or why there is none. */
export type Reading = { readonly value: number } | { readonly noData: string } | { readonly error: string };

/**
 * One number from an instant vector's values. No series, NaN and Inf are "no data" (missing data must
 * never pass by accident); several series are an error unless the check names a reduction.
 */
export function reduceValues(values: readonly number[], reduce: Reduction = 'none'): Reading {
  if (values.length === 0) return { noData: 'the query returned no series' };
  if (values.length > 1 && reduce === 'none') {
    return { error: `the query returned ${values.length} series; aggregate it (e.g. sum(...)) or set reduce: sum|avg|min|max` };
  }
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { noData: `the query returned ${values.map(String).join(', ')}, not a finite number` };
  switch (reduce) {
    case 'none':
      return { value: finite[0] as number };
    case 'sum':
      return { value: finite.reduce((a, b) => a + b, 0) };
    case 'avg':
      return { value: finite.reduce((a, b) => a + b, 0) / finite.length };
    case 'min':
      return { value: Math.min(...finite) };
    case 'max':
      return { value: Math.max(...finite) };
  }
}

export function thresholdBound(check: CheckDocument): string {
  const parts: string[] = [];
  if (check.min !== undefined) parts.push(`${check.exclusiveMin ? '>' : '>='} ${check.min}`);
  if (check.max !== undefined) parts.push(`${check.exclusiveMax ? '<' : '<='} ${check.max}`);
  return parts.join(' and ');
}

export function judgeThreshold(check: CheckDocument, reading: Reading): Judgement {
  const bound = thresholdBound(check);
  if (!('value' in reading)) return notMeasured(check.name, reading, bound);
  const { value } = reading;
  const v = formatNumber(value);
  if (check.min !== undefined && (check.exclusiveMin ? value <= check.min : value < check.min)) {
    return { result: 'fail', value, baselineValue: null, bound, message: `${check.name} = ${v} ${check.exclusiveMin ? '<=' : '<'} min ${check.min}` };
  }
  if (check.max !== undefined && (check.exclusiveMax ? value >= check.max : value > check.max)) {
    return { result: 'fail', value, baselineValue: null, bound, message: `${check.name} = ${v} ${check.exclusiveMax ? '>=' : '>'} max ${check.max}` };
  }
  return { result: 'pass', value, baselineValue: null, bound, message: `${check.name} = ${v}, within ${bound}` };
}

/** Canary (or current) value against the baseline, with maxIncrease / maxDecrease as % or absolute. */
export function judgeBaseline(check: CheckDocument, reading: Reading, baseline: Reading): Judgement {
  const limits: string[] = [];
  if (check.maxIncrease !== undefined) limits.push(`increase <= ${String(check.maxIncrease)}`);
  if (check.maxDecrease !== undefined) limits.push(`decrease <= ${String(check.maxDecrease)}`);
  const bound = `vs baseline: ${limits.join(' and ')}`;
  if (!('value' in reading)) return notMeasured(check.name, reading, bound);
  if (!('value' in baseline)) {
    const why = 'error' in baseline ? baseline.error : baseline.noData;
    return {
      result: 'error' in baseline ? 'error' : 'inconclusive',
      value: reading.value,
      baselineValue: null,
      bound,
      message: `${check.name}: no baseline to compare with (${why})`,
    };
  }
  const value = reading.value;
  const base = baseline.value;
  const v = formatNumber(value);
  const b = formatNumber(base);
  if (check.maxIncrease !== undefined) {
    const { relative, value: allowance } = parseAmount(check.maxIncrease);
    const limit = relative ? base + Math.abs(base) * allowance : base + allowance;
    if (value > limit) {
      return {
        result: 'fail',
        value,
        baselineValue: base,
        bound,
        message: `${check.name} = ${v} is ${describeChange(value, base)} over baseline ${b}; allowed ${String(check.maxIncrease)} (up to ${formatNumber(limit)})`,
      };
    }
  }
  if (check.maxDecrease !== undefined) {
    const { relative, value: allowance } = parseAmount(check.maxDecrease);
    const limit = relative ? base - Math.abs(base) * allowance : base - allowance;
    if (value < limit) {
      return {
        result: 'fail',
        value,
        baselineValue: base,
        bound,
        message: `${check.name} = ${v} is ${describeChange(value, base)} under baseline ${b}; allowed ${String(check.maxDecrease)} (down to ${formatNumber(limit)})`,
      };
    }
  }
  return { result: 'pass', value, baselineValue: base, bound, message: `${check.name} = ${v} vs baseline ${b} (${describeChange(value, base)}), within ${limits.join(' and ')}` };
}

/** The alerts check passes when no firing alert matches; `firing` are the matching alerts' label sets. */
export function judgeAlerts(checkName: string, firing: readonly Readonly<Record<string, string>>[]): Judgement {
  const bound = 'no firing alerts';
  if (firing.length === 0) return { result: 'pass', value: 0, baselineValue: null, bound, message: `${checkName}: no matching alert is firing` };
  const names = [...new Set(firing.map((labels) => labels.alertname ?? '(unnamed)'))];
  return {
    result: 'fail',
    value: firing.length,
    baselineValue: null,
    bound,
    message: `${checkName}: ${firing.length} matching alert${firing.length === 1 ? ' is' : 's are'} firing: ${names.join(', ')}`,
    data: { alerts: firing.slice(0, 20) },
  };
}

/** Canary samples against baseline samples with the Mann-Whitney U test (the `statistical` kind). */
export function judgeStatistical(
  check: { readonly name: string; readonly document: CheckDocument },
  canary: { readonly values: readonly number[] } | { readonly error: string },
  baseline: { readonly values: readonly number[] } | { readonly error: string },
): Judgement {
  const options = check.document.statistical ?? {};
  const confidence = options.confidence ?? POLICY_DEFAULTS.statisticalConfidence;
  const minEffectSize = options.minEffectSize ?? POLICY_DEFAULTS.statisticalMinEffectSize;
  const direction = options.direction ?? 'increase';
  const bound = `Mann-Whitney at ${confidence} confidence, ${direction}, min effect ${minEffectSize}`;
  if ('error' in canary) return measurementError(`${check.name} (canary): ${canary.error}`, bound);
  if ('error' in baseline) return measurementError(`${check.name} (baseline): ${baseline.error}`, bound);
  const judged = canaryJudgement([...canary.values], [...baseline.values], { confidence, minEffectSize, direction });
  return {
    result: judged.verdict,
    value: judged.canaryMedian,
    baselineValue: judged.baselineMedian,
    bound,
    message: `${check.name}: ${judged.reason}`,
    data: {
      pValue: judged.test?.pValue ?? null,
      relativeShift: judged.relativeShift,
      method: judged.test?.method ?? null,
      canarySamples: judged.canaryCount,
      baselineSamples: judged.baselineCount,
      effectSize: judged.test?.effectSize ?? null,
    },
  };
}

export const WEBHOOK_BOUND = 'HTTP 2xx';

/** A webhook check passes on 2xx; any other status fails it, with a short excerpt of what it said. */
export function judgeWebhook(checkName: string, answer: { readonly status: number; readonly body: string; readonly attempts: number }): Judgement {
  const ok = answer.status >= 200 && answer.status < 300;
  return {
    result: ok ? 'pass' : 'fail',
    value: answer.status,
    baselineValue: null,
    bound: WEBHOOK_BOUND,
    message: `${checkName}: webhook answered ${answer.status}${ok ? '' : `: ${answer.body.slice(0, 200)}`}`,
    data: { attempts: answer.attempts },
  };
}

/** A check that could not be measured (a query or call failed, or its backend is not configured). */
export function measurementError(message: string, bound: string | null = null): Judgement {
  return { result: 'error', value: null, baselineValue: null, bound, message };
}

function notMeasured(name: string, reading: { noData: string } | { error: string }, bound: string): Judgement {
  if ('error' in reading) return measurementError(`${name}: ${reading.error}`, bound);
  return { result: 'inconclusive', value: null, baselineValue: null, bound, message: `${name}: no data (${reading.noData})` };
}

function describeChange(value: number, base: number): string {
  if (base === 0) return value === 0 ? 'unchanged' : `${formatNumber(value - base)} absolute`;
  const percent = ((value - base) / Math.abs(base)) * 100;
  return `${percent >= 0 ? '+' : ''}${percent.toFixed(1)}%`;
}

/** Short, exact enough for a sentence: 0.0712, 1234.5, 1.2e-7. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-4) return value.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(value.toPrecision(4)));
}
