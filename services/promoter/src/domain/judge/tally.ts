/** Counting a check's results: a tally is all a check verdict needs, so the engine never re-reads results. */
import type { MeasurementResult } from './judge-measurement.js';

/** The counts of one check's results in one phase, and the errors since its last non-error result. */
export interface ResultTally {
  readonly total: number;
  readonly failed: number;
  /** Results without data (`inconclusive`). */
  readonly noData: number;
  readonly errors: number;
  readonly trailingErrors: number;
}

export const EMPTY_TALLY: ResultTally = Object.freeze({ total: 0, failed: 0, noData: 0, errors: 0, trailingErrors: 0 });

/** The tally after one more result. */
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
