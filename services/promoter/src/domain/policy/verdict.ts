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
 * `complete` says no more measurements will come (a one-shot evaluation, or the end of a bake): then
 * a check with fewer successful measurements than `samples` is judged on what it has.
 */
export function checkVerdict(check: Check, results: readonly MeasurementResult[], complete: boolean): CheckVerdict {
  const failed = results.filter((r) => r === 'fail').length;
  const noData = results.filter((r) => r === 'inconclusive').length;
  const failures = failed + (check.onNoData === 'fail' ? noData : 0);
  if (failures > check.failureLimit) {
    const why = noData > 0 && check.onNoData === 'fail' ? ` (${failed} failed, ${noData} without data)` : '';
    return { verdict: 'fail', reason: `${check.name} failed ${failures} of ${results.length} measurements${why}; ${check.failureLimit} tolerated` };
  }
  let trailingErrors = 0;
  for (let i = results.length - 1; i >= 0 && results[i] === 'error'; i--) trailingErrors++;
  if (trailingErrors > check.consecutiveErrorLimit) {
    return { verdict: 'error', reason: `${check.name} could not be measured ${trailingErrors} times in a row; ${check.consecutiveErrorLimit} tolerated` };
  }
  const measured = results.length - results.filter((r) => r === 'error').length;
  if (measured < check.samples && !complete) {
    return { verdict: 'pending', reason: `${check.name}: ${measured} of ${check.samples} measurements` };
  }
  if (measured === 0) {
    return results.length > 0
      ? { verdict: 'error', reason: `${check.name} could not be measured` }
      : { verdict: 'inconclusive', reason: `${check.name} was not measured` };
  }
  if (noData > 0 && check.onNoData === 'inconclusive') {
    return { verdict: 'inconclusive', reason: `${check.name} had no data in ${noData} of ${measured} measurements` };
  }
  return { verdict: 'pass', reason: `${check.name} passed ${measured - failures - (check.onNoData === 'pass' ? 0 : noData)} of ${measured} measurements` };
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
