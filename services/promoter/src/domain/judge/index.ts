/**
 * Judging: every decision about what a check measured is made here, and nowhere else. Pure, no I/O: the
 * check runner (evaluation/check-runner.ts) renders queries and asks Prometheus or a webhook; this module
 * turns the answers into results and verdicts; the engine and the evaluations act on them.
 *
 * Glossary (one meaning per word):
 * - **reading**: the number a query gave (or why there is none: no data, or an error).
 * - **result** (`MeasurementResult`): what ONE measurement of a check decided: `pass`, `fail`,
 *   `inconclusive` (no data) or `error` (could not measure). Stored per row in `check_results`.
 * - **judgement**: a result with its value, baseline value, bound and the sentence that says why.
 * - **tally**: the counts of a check's results so far in a phase (what a verdict depends on).
 * - **check verdict**: what a check's results so far decide (`pending` while more are needed).
 * - **phase verdict**: the worst check verdict of a phase, naming the check that decided it and the
 *   measurement that is the evidence.
 * - **gate outcome** (`promotion.verdict`): the pre-promotion phase verdict a promotion stored.
 */
export * from './judge-measurement.js';
export * from './tally.js';
export * from './verdicts.js';
