/**
 * From results to verdicts. A check's verdict follows its limits: more failures than `failureLimit` fail
 * it; more errors in a row than `consecutiveErrorLimit` make it an error; missing data counts as the
 * check's `onNoData` says. A phase's verdict is the worst of its checks' and names the check that decided.
 */
import { counted } from '../counted.js';
import type { Check } from '../policy/model.js';
import type { Judgement, Measurement, MeasurementResult } from './judge-measurement.js';
import { tallyResults, type ResultTally } from './tally.js';

/** A final verdict (as stored for a gate or an evaluation). */
export type Verdict = MeasurementResult;
/** A verdict while measurements may still come. */
export type VerdictOutcome = Verdict | 'pending';

export interface CheckVerdict {
  readonly check: string;
  readonly outcome: VerdictOutcome;
  readonly reason: string;
  /** An unmeasurable check's `lacking` (what the service lacks to measure it). */
  readonly lacking?: string;
}

export interface PhaseVerdict {
  readonly outcome: VerdictOutcome;
  /** The deciding check's reason, with the measurement that proves it when there is one. */
  readonly reason: string;
  /** The check that decided a verdict other than pass. */
  readonly decidingCheck?: string;
  /** That check's latest measurement that was not a pass, as a sentence with its value and bound. */
  readonly evidence?: string;
}

/**
 * `results` are a check's results so far, oldest first, or their tally. `complete` says no more will
 * come (a one-shot evaluation, or the end of a bake): then a check with fewer successful measurements than
 * `samples` is judged on what it has. A `latest` measurement that is `unmeasurable` (the service lacks the
 * configuration to measure it) is an error at once: waiting for the error limit cannot change it.
 */
export function checkVerdict(
  check: Check,
  results: readonly MeasurementResult[] | ResultTally,
  complete: boolean,
  latest?: Pick<Measurement, 'unmeasurable' | 'message' | 'lacking'>,
): CheckVerdict {
  const { total, failed, noData, errors, trailingErrors } = Array.isArray(results) ? tallyResults(results) : (results as ResultTally);
  const verdict = (outcome: VerdictOutcome, reason: string): CheckVerdict => ({ check: check.name, outcome, reason });
  if (latest?.unmeasurable) return { ...verdict('error', latest.message), ...(latest.lacking ? { lacking: latest.lacking } : {}) };
  const failures = failed + (check.onNoData === 'fail' ? noData : 0);
  if (failures > check.failureLimit) {
    const why = noData > 0 && check.onNoData === 'fail' ? ` (${failed} failed, ${noData} without data)` : '';
    return verdict('fail', `${check.name} failed ${failures} of ${total} measurements${why}; ${check.failureLimit} tolerated`);
  }
  if (trailingErrors > check.consecutiveErrorLimit) {
    return verdict('error', `${check.name} could not be measured ${trailingErrors} times in a row; ${check.consecutiveErrorLimit} tolerated`);
  }
  const measured = total - errors;
  if (measured < check.samples && !complete) return verdict('pending', `${check.name}: ${measured} of ${check.samples} measurements`);
  if (measured === 0) return total > 0 ? verdict('error', `${check.name} could not be measured`) : verdict('inconclusive', `${check.name} was not measured`);
  if (noData > 0 && check.onNoData === 'inconclusive') {
    return verdict('inconclusive', `${check.name} had no data in ${noData} of ${measured} measurements`);
  }
  // `failures` already counts the measurements without data when onNoData is `fail`; with `pass` they passed.
  return verdict('pass', `${check.name} passed ${measured - failures} of ${measured} measurements`);
}

const SEVERITY: Record<VerdictOutcome, number> = { pass: 0, pending: 1, inconclusive: 2, error: 3, fail: 4 };

/**
 * The worst verdict of a phase's checks. Every check that is not passing is named in the reason (worst
 * first), so a gate that fails for three reasons says all three; `newestFirst` are the phase's
 * measurements, newest first, from which the deciding check's evidence is taken by the check's name.
 */
export function phaseVerdict(checks: readonly CheckVerdict[], newestFirst: readonly (Judgement & { readonly check: string })[] = []): PhaseVerdict {
  if (checks.length === 0) return { outcome: 'pass', reason: 'the phase has no checks' };
  const ranked = [...checks].sort((a, b) => SEVERITY[b.outcome] - SEVERITY[a.outcome]);
  const worst = ranked[0] as CheckVerdict;
  if (worst.outcome === 'pass') return { outcome: 'pass', reason: checks.length === 1 ? 'the 1 check passed' : `all ${checks.length} checks passed` };
  if (worst.outcome === 'pending') return { outcome: 'pending', reason: worst.reason, decidingCheck: worst.check };
  const found = newestFirst.find((m) => m.check === worst.check && m.result !== 'pass')?.message;
  const evidence = found === worst.reason ? undefined : found;
  const others = ranked.slice(1).filter((c) => c.outcome !== 'pass' && c.outcome !== 'pending');
  const reason = [`${worst.reason}${evidence ? ` (${evidence})` : ''}`, ...others.map((c) => c.reason)].join('; ');
  if (ranked.every((c) => c.outcome === 'pass' || c.lacking !== undefined)) {
    // Nothing could be measured for want of configuration: one sentence per thing lacking, each check named once.
    return { outcome: worst.outcome, reason: lackingReason(ranked), decidingCheck: worst.check };
  }
  return { outcome: worst.outcome, reason, decidingCheck: worst.check, ...(evidence ? { evidence } : {}) };
}

/** `4 checks cannot be measured (a, b, c, d): the service has no PROMETHEUS_URL`, once per thing lacking. */
function lackingReason(checks: readonly CheckVerdict[]): string {
  const byLack = new Map<string, string[]>();
  for (const check of checks) {
    if (check.lacking !== undefined) byLack.set(check.lacking, [...(byLack.get(check.lacking) ?? []), check.check]);
  }
  return [...byLack].map(([lacking, names]) => `${counted(names.length, 'check')} cannot be measured (${names.join(', ')}): ${lacking}`).join('; ');
}

/** A phase verdict that stops a promotion: anything decided that is not a pass (never promote on missing data). */
export function isStopping(verdict: PhaseVerdict): boolean {
  return verdict.outcome !== 'pass' && verdict.outcome !== 'pending';
}

/** A final verdict for storage: a phase that ended still `pending` was not measured enough. */
export function finalVerdict(outcome: VerdictOutcome): Verdict {
  return outcome === 'pending' ? 'inconclusive' : outcome;
}
