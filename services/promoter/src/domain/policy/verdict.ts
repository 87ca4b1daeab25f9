/**
 * From measurements to verdicts. A check's verdict follows its limits: more failures than
 * `failureLimit` fail it; more errors in a row than `consecutiveErrorLimit` make it an error; missing data
 * counts as the check's `onNoData` says. The policy's verdict is the worst of its checks'. Pure, no I/O.
 */
import type { Check } from './model.js';
import type { MeasurementResult } from './measurement.js';

export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'error';
export type CheckProgress = Verdict | 'pending';

export interface CheckVerdict {
  readonly verdict: CheckProgress;
  readonly reason: string;
}

/**
 * What a verdict depends on in a check's measurements so far: counts, and the errors since the last
 * measurement that was not an error. The engine reads it from the database as one row per check, so a
 * step's cost does not grow with the length of the bake.
 */
export interface ResultTally {
  readonly total: number;
  readonly failed: number;
  /** Measurements without data (`inconclusive`). */
  readonly noData: number;
  readonly errors: number;
  readonly trailingErrors: number;
}

export const EMPTY_TALLY: ResultTally = Object.freeze({ total: 0, failed: 0, noData: 0, errors: 0, trailingErrors: 0 });

/** The tally after one more measurement. */
export function addResult(tally: ResultTally, result: MeasurementResult): ResultTally {
  return {
    total: tally.total + 1,
    failed: tally.failed + (result === 'fail' ? 1 : 0),
    noData: tally.noData + (result === 'inconclusive' ? 1 : 0),
    errors: tally.errors + (result === 'error' ? 1 : 0),
    trailingErrors: result === 'error' ? tally.trailingErrors + 1 : 0,
  };
}

export function tallyResults(results: readonly MeasurementResult[]): ResultTally {
  return results.reduce(addResult, EMPTY_TALLY);
}

/**
 * `results` are a check's measurements so far, oldest first, or their tally. `complete` says no more
 * measurements will come (a one-shot evaluation, or the end of a bake): then a check with fewer
 * successful measurements than `samples` is judged on what it has.
 */
export function checkVerdict(check: Check, results: readonly MeasurementResult[] | ResultTally, complete: boolean): CheckVerdict {
  const { total, failed, noData, errors, trailingErrors } = isTally(results) ? results : tallyResults(results);
  const failures = failed + (check.onNoData === 'fail' ? noData : 0);
  if (failures > check.failureLimit) {
    const why = noData > 0 && check.onNoData === 'fail' ? ` (${failed} failed, ${noData} without data)` : '';
    return { verdict: 'fail', reason: `${check.name} failed ${failures} of ${total} measurements${why}; ${check.failureLimit} tolerated` };
  }
  if (trailingErrors > check.consecutiveErrorLimit) {
    return { verdict: 'error', reason: `${check.name} could not be measured ${trailingErrors} times in a row; ${check.consecutiveErrorLimit} tolerated` };
  }
  const measured = total - errors;
  if (measured < check.samples && !complete) {
    return { verdict: 'pending', reason: `${check.name}: ${measured} of ${check.samples} measurements` };
  }
  if (measured === 0) {
    return total > 0
      ? { verdict: 'error', reason: `${check.name} could not be measured` }
      : { verdict: 'inconclusive', reason: `${check.name} was not measured` };
  }
  if (noData > 0 && check.onNoData === 'inconclusive') {
    return { verdict: 'inconclusive', reason: `${check.name} had no data in ${noData} of ${measured} measurements` };
  }
  return { verdict: 'pass', reason: `${check.name} passed ${measured - failures - (check.onNoData === 'pass' ? 0 : noData)} of ${measured} measurements` };
}

function isTally(results: readonly MeasurementResult[] | ResultTally): results is ResultTally {
  return !Array.isArray(results);
}

const SEVERITY: Record<CheckProgress, number> = { pass: 0, pending: 1, inconclusive: 2, error: 3, fail: 4 };

/** The worst verdict of the checks, and the reason of the check that decided it. */
export function policyVerdict(checks: readonly CheckVerdict[]): CheckVerdict {
  if (checks.length === 0) return { verdict: 'pass', reason: 'the phase has no checks' };
  let worst = checks[0] as CheckVerdict;
  for (const check of checks) if (SEVERITY[check.verdict] > SEVERITY[worst.verdict]) worst = check;
  if (worst.verdict === 'pass') return { verdict: 'pass', reason: `all ${checks.length} checks passed` };
  return worst;
}
