import { describe, expect, it } from 'vitest';
import { canaryJudgement } from './canary-judgement.js';
import type { CanaryJudgementOptions, CanaryVerdict } from './canary-judgement.js';

// Twelve latency samples per side, no ties: asymptotic test, clear separation.
const baseline = [100, 102, 98, 101, 99, 103, 97, 100.5, 101.5, 98.5, 99.5, 102.5];
const slower = baseline.map((v) => v * 1.3);
const slightlySlower = baseline.map((v) => v + 4); // +4%: significant, but small
const faster = baseline.map((v) => v * 0.7);

const increase: CanaryJudgementOptions = { confidence: 0.95, minEffectSize: 0.1, direction: 'increase' };

interface Given {
  readonly canary: readonly number[];
  readonly baseline: readonly number[];
  readonly options: CanaryJudgementOptions;
}
type Case = [name: string, { given: Given; want: { verdict: CanaryVerdict; reason: RegExp } }];

function row(name: string, given: Given, verdict: CanaryVerdict, reason: RegExp): Case {
  return [name, { given, want: { verdict, reason } }];
}

const cases: readonly Case[] = [
  row('30% slower canary fails an increase check', { canary: slower, baseline, options: increase }, 'fail', /significantly higher/),
  row(
    '4% slower canary passes when 10% is the minimum effect',
    { canary: slightlySlower, baseline, options: increase },
    'pass',
    /not by 10%/,
  ),
  row(
    '4% slower canary fails when any significant effect counts',
    { canary: slightlySlower, baseline, options: { ...increase, minEffectSize: 0 } },
    'fail',
    /significantly higher/,
  ),
  row('faster canary passes an increase check', { canary: faster, baseline, options: increase }, 'pass', /No significant increase/),
  row(
    'faster canary fails a decrease check (throughput)',
    { canary: faster, baseline, options: { ...increase, direction: 'decrease' } },
    'fail',
    /significantly lower/,
  ),
  row(
    'faster canary fails an either check',
    { canary: faster, baseline, options: { ...increase, direction: 'either' } },
    'fail',
    /significantly lower/,
  ),
  row('identical samples pass', { canary: baseline, baseline, options: increase }, 'pass', /No significant increase/),
  row('all values tied pass', { canary: [0, 0, 0, 0], baseline: [0, 0, 0, 0], options: increase }, 'pass', /p = 1 >= 0.05/),
  row('empty canary is inconclusive', { canary: [], baseline, options: increase }, 'inconclusive', /canary has no values/),
  row(
    'only NaN in the baseline is inconclusive',
    { canary: slower, baseline: [Number.NaN], options: increase },
    'inconclusive',
    /baseline has no values/,
  ),
];

describe('canaryJudgement', () => {
  it.each(cases)('%s', (_name, { given, want }) => {
    const judgement = canaryJudgement(given.canary, given.baseline, given.options);
    expect(judgement.verdict).toBe(want.verdict);
    expect(judgement.reason).toMatch(want.reason);
  });

  it('reports the numbers behind the verdict', () => {
    const judgement = canaryJudgement(slower, baseline, increase);
    expect(judgement.alpha).toBeCloseTo(0.05, 15);
    expect(judgement.canaryCount).toBe(12);
    expect(judgement.baselineMedian).toBe(100.25);
    expect(judgement.relativeShift).toBeGreaterThan(0.25);
    expect(judgement.test?.alternative).toBe('greater');
    expect(judgement.test?.pValue).toBeLessThan(0.001);
    expect(judgement.reason).toContain('canary median');
  });

  it('a zero baseline median makes any shift infinitely large', () => {
    const canaryErrors = [0.2, 0.3, 0.25, 0.4, 0.35, 0.3, 0.28, 0.5, 0.22];
    const errors = canaryJudgement(canaryErrors, new Array<number>(9).fill(0), increase);
    expect(errors.verdict).toBe('fail');
    expect(errors.relativeShift).toBe(Number.POSITIVE_INFINITY);
  });

  it('drops NaN values before testing', () => {
    const judgement = canaryJudgement([...slower, Number.NaN], baseline, increase);
    expect(judgement.canaryCount).toBe(12);
    expect(judgement.verdict).toBe('fail');
  });

  it('rejects a confidence outside (0, 1) and a negative effect size', () => {
    expect(() => canaryJudgement(slower, baseline, { ...increase, confidence: 95 })).toThrow(/confidence/);
    expect(() => canaryJudgement(slower, baseline, { ...increase, minEffectSize: -1 })).toThrow(/minEffectSize/);
  });
});
