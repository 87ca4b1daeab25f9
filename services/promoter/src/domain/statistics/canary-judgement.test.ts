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

describe('canaryJudgement at its boundaries', () => {
  // Nine values symmetric around 100: a canary 10 higher has a Hodges-Lehmann shift of exactly 10, i.e. 10%.
  const around100 = [98, 98.5, 99, 99.5, 100, 100.5, 101, 101.5, 102];
  const tenPercentHigher = around100.map((v) => v + 10);

  it('fails a shift of exactly the minimum effect, and passes one just short of it', () => {
    const atLimit = canaryJudgement(tenPercentHigher, around100, increase);
    expect(atLimit.relativeShift).toBe(0.1);
    expect(atLimit.verdict).toBe('fail');
    expect(atLimit.reason).toBe(
      'Canary is significantly higher than the baseline by at least the allowed 10%: canary median 110 vs baseline 100, ' +
        'shift +10 (+10% of the baseline median), p = 2.06e-4 < 0.05 (Mann-Whitney U = 81, one-sided, asymptotic).',
    );
    const shortOfIt = canaryJudgement(tenPercentHigher, around100, { ...increase, minEffectSize: 0.1000001 });
    expect(shortOfIt.verdict).toBe('pass');
    expect(shortOfIt.reason).toBe(
      'Canary differs significantly but not by 10% in the bad direction (increase): canary median 110 vs baseline 100, ' +
        'shift +10 (+10% of the baseline median), p = 2.06e-4 < 0.05 (Mann-Whitney U = 81, one-sided, asymptotic).',
    );
  });

  it('passes a p-value equal to 1 - confidence: significance is p < alpha, strictly', () => {
    // One canary value above three baseline values: exact one-sided p = 1/4, exactly alpha at 75% confidence.
    const judgement = canaryJudgement([10], [1, 2, 3], { ...increase, confidence: 0.75, minEffectSize: 0 });
    expect(judgement.test).toMatchObject({ method: 'exact', pValue: 0.25 });
    expect(judgement.alpha).toBe(0.25);
    expect(judgement.verdict).toBe('pass');
    expect(judgement.reason).toContain('p = 0.25 >= 0.25');
    expect(canaryJudgement([10], [1, 2, 3], { ...increase, confidence: 0.7499999, minEffectSize: 0 }).verdict).toBe('fail');
  });

  it('prints 0.001 as a decimal and anything smaller in exponent notation', () => {
    expect(canaryJudgement([0.001, 0.001], [0.001, 0.001], increase).reason).toContain('canary median 0.001 vs baseline 0.001');
    expect(canaryJudgement([0.0009], [0.0009], increase).reason).toContain('canary median 9.00e-4 vs baseline 9.00e-4');
  });

  it('says why it passes when nothing is significant, with p printed to four digits', () => {
    const same = canaryJudgement([1, 2, 3], [1, 2, 3], increase);
    expect(same).toMatchObject({ verdict: 'pass', canaryMedian: 2, baselineMedian: 2, relativeShift: 0 });
    expect(same.reason).toBe(
      'No significant increase of the canary over the baseline: canary median 2 vs baseline 2, shift 0 (0% of the baseline median), ' +
        'p = 0.5903 >= 0.05 (Mann-Whitney U = 4.5, one-sided, asymptotic).',
    );
  });

  it('measures the shift against the size of a negative baseline median', () => {
    // Throughput-like values below zero: 30 lower is -30% whatever the sign of the median.
    const negative = around100.map((v) => -v);
    const judgement = canaryJudgement(
      negative.map((v) => v - 30),
      negative,
      { ...increase, direction: 'decrease' },
    );
    expect(judgement.relativeShift).toBe(-0.3);
    expect(judgement.test?.alternative).toBe('less');
    expect(judgement.verdict).toBe('fail');
    expect(judgement.reason).toMatch(/^Canary is significantly lower than the baseline by at least the allowed 10%: canary median -130 vs baseline -100, shift -30 \(-30% of the baseline median\)/);
  });

  it('a decrease check passes a 10% increase', () => {
    const judgement = canaryJudgement(tenPercentHigher, around100, { ...increase, direction: 'decrease' });
    expect(judgement.verdict).toBe('pass');
    expect(judgement.reason).toMatch(/^No significant decrease of the canary over the baseline/);
  });

  it('an either check is two-sided, names a "change", and fails a fall from a zero median as infinitely large', () => {
    const fall = [-0.2, -0.3, -0.25, -0.4, -0.35, -0.3, -0.28, -0.5, -0.22];
    const judgement = canaryJudgement(fall, new Array<number>(9).fill(0), { ...increase, direction: 'either' });
    expect(judgement.test?.alternative).toBe('two-sided');
    expect(judgement.relativeShift).toBe(Number.NEGATIVE_INFINITY);
    expect(judgement.verdict).toBe('fail');
    expect(judgement.reason).toContain('shift -0.3 (-infinite % of the baseline median)');
    expect(judgement.reason).toContain('two-sided');
    const steady = canaryJudgement(around100, around100, { ...increase, direction: 'either' });
    expect(steady.reason).toMatch(/^No significant change of the canary over the baseline/);
  });

  it('an increase from a zero median is +infinite %', () => {
    const judgement = canaryJudgement([0.2, 0.3, 0.25, 0.4, 0.35, 0.3, 0.28, 0.5, 0.22], new Array<number>(9).fill(0), increase);
    expect(judgement.reason).toContain('shift +0.3 (+infinite % of the baseline median)');
  });

  it('a shift of 0 from a zero median is 0, not infinite', () => {
    expect(canaryJudgement([0, 0, 0], [0, 0, 0], increase).relativeShift).toBe(0);
  });

  it('without values on one side: inconclusive, with the other side\'s median and no test', () => {
    const noCanary = canaryJudgement([], [1, 2, 3], increase);
    expect(noCanary).toEqual({
      alpha: 1 - 0.95,
      canaryCount: 0,
      baselineCount: 3,
      verdict: 'inconclusive',
      reason: 'Cannot compare: the canary has no values.',
      canaryMedian: null,
      baselineMedian: 2,
      relativeShift: null,
    });
    const noBaseline = canaryJudgement([1, 2], [Number.NaN], increase);
    expect(noBaseline).toMatchObject({ canaryMedian: 1.5, baselineMedian: null, baselineCount: 0, reason: 'Cannot compare: the baseline has no values.' });
    expect(canaryJudgement([], [], increase).reason).toBe('Cannot compare: the canary and baseline have no values.');
  });

  it('accepts confidences strictly between 0 and 1 and a minimum effect of 0; refuses the rest', () => {
    expect(canaryJudgement(tenPercentHigher, around100, { ...increase, confidence: 0.5, minEffectSize: 0 }).verdict).toBe('fail');
    for (const confidence of [0, 1, Number.NaN, -0.5]) {
      expect(() => canaryJudgement(tenPercentHigher, around100, { ...increase, confidence })).toThrow(
        `canaryJudgement: confidence must be between 0 and 1 (exclusive), got ${confidence}`,
      );
    }
    for (const minEffectSize of [-0.001, Number.NaN]) {
      expect(() => canaryJudgement(tenPercentHigher, around100, { ...increase, minEffectSize })).toThrow(
        `canaryJudgement: minEffectSize must be >= 0, got ${minEffectSize}`,
      );
    }
  });
});
