/**
 * Judging one measurement, kind by kind, at the boundaries: the first mutation run (TESTING.md) found this
 * module judged only end to end, where a `<` for `<=` or a lost reduction went unnoticed. Messages are
 * compared whole: they are what a person reads in a reason.
 */
import { describe, expect, it } from 'vitest';
import type { CheckDocument } from '../policy/model.js';
import {
  formatNumber,
  judgeAlerts,
  judgeBaseline,
  judgeStatistical,
  judgeThreshold,
  judgeWebhook,
  measurementError,
  reduceValues,
  thresholdBound,
  WEBHOOK_BOUND,
} from './judge-measurement.js';

const check = (fields: Partial<CheckDocument>): CheckDocument => ({ name: 'c', ...fields }) as CheckDocument;

describe('reduceValues', () => {
  it('gives the only value, and no data for no series or only NaN/Inf', () => {
    expect(reduceValues([0.25])).toEqual({ value: 0.25 });
    expect(reduceValues([])).toEqual({ noData: 'the query returned no series' });
    expect(reduceValues([Number.NaN])).toEqual({ noData: 'the query returned NaN, not a finite number' });
    expect(reduceValues([Number.POSITIVE_INFINITY, Number.NaN], 'sum')).toEqual({ noData: 'the query returned Infinity, NaN, not a finite number' });
  });

  it('refuses several series without a reduction, naming how many', () => {
    expect(reduceValues([1, 2])).toEqual({ error: 'the query returned 2 series; aggregate it (e.g. sum(...)) or set reduce: sum|avg|min|max' });
    expect(reduceValues([1, 2], 'none')).toEqual({ error: 'the query returned 2 series; aggregate it (e.g. sum(...)) or set reduce: sum|avg|min|max' });
  });

  it.each([
    ['sum', 10],
    ['avg', 2.5],
    ['min', -1],
    ['max', 7],
  ] as const)('reduces with %s over the finite values only', (reduce, expected) => {
    expect(reduceValues([4, -1, Number.NaN, 7, 0], reduce)).toEqual({ value: expected });
  });

  it('keeps a single series whatever the reduction', () => {
    expect(reduceValues([3], 'avg')).toEqual({ value: 3 });
    expect(reduceValues([Number.NaN, 5], 'none')).toEqual({ error: 'the query returned 2 series; aggregate it (e.g. sum(...)) or set reduce: sum|avg|min|max' });
  });
});

describe('judgeThreshold', () => {
  it('says the bound in words', () => {
    expect(thresholdBound(check({ min: 1 }))).toBe('>= 1');
    expect(thresholdBound(check({ min: 1, exclusiveMin: true }))).toBe('> 1');
    expect(thresholdBound(check({ max: 0.05 }))).toBe('<= 0.05');
    expect(thresholdBound(check({ max: 0.05, exclusiveMax: true }))).toBe('< 0.05');
    expect(thresholdBound(check({ min: 0, max: 1 }))).toBe('>= 0 and <= 1');
    expect(thresholdBound(check({}))).toBe('');
  });

  it('passes on the bound itself when it is inclusive, and fails past it', () => {
    expect(judgeThreshold(check({ max: 0.05 }), { value: 0.05 })).toEqual({ result: 'pass', value: 0.05, baselineValue: null, bound: '<= 0.05', message: 'c = 0.05, within <= 0.05' });
    expect(judgeThreshold(check({ max: 0.05 }), { value: 0.0501 })).toEqual({ result: 'fail', value: 0.0501, baselineValue: null, bound: '<= 0.05', message: 'c = 0.0501 > max 0.05' });
    expect(judgeThreshold(check({ min: 1 }), { value: 1 })).toMatchObject({ result: 'pass', message: 'c = 1, within >= 1' });
    expect(judgeThreshold(check({ min: 1 }), { value: 0.999 })).toEqual({ result: 'fail', value: 0.999, baselineValue: null, bound: '>= 1', message: 'c = 0.999 < min 1' });
  });

  it('fails on the bound itself when it is exclusive', () => {
    expect(judgeThreshold(check({ max: 0.05, exclusiveMax: true }), { value: 0.05 })).toEqual({ result: 'fail', value: 0.05, baselineValue: null, bound: '< 0.05', message: 'c = 0.05 >= max 0.05' });
    expect(judgeThreshold(check({ max: 0.05, exclusiveMax: true }), { value: 0.0499 })).toMatchObject({ result: 'pass' });
    expect(judgeThreshold(check({ min: 0, exclusiveMin: true }), { value: 0 })).toEqual({ result: 'fail', value: 0, baselineValue: null, bound: '> 0', message: 'c = 0 <= min 0' });
    expect(judgeThreshold(check({ min: 0, exclusiveMin: true }), { value: 0.001 })).toMatchObject({ result: 'pass', message: 'c = 0.001, within > 0' });
  });

  it('judges both bounds of a range', () => {
    const range = check({ min: 1, max: 2 });
    expect(judgeThreshold(range, { value: 0.5 })).toMatchObject({ result: 'fail', message: 'c = 0.5 < min 1' });
    expect(judgeThreshold(range, { value: 2.5 })).toMatchObject({ result: 'fail', message: 'c = 2.5 > max 2' });
    expect(judgeThreshold(range, { value: 1.5 })).toMatchObject({ result: 'pass', message: 'c = 1.5, within >= 1 and <= 2' });
  });

  it('is inconclusive on no data and an error on an error, keeping the bound', () => {
    expect(judgeThreshold(check({ max: 1 }), { noData: 'the query returned no series' })).toEqual({
      result: 'inconclusive',
      value: null,
      baselineValue: null,
      bound: '<= 1',
      message: 'c: no data (the query returned no series)',
    });
    expect(judgeThreshold(check({ max: 1 }), { error: 'bad query' })).toEqual({ result: 'error', value: null, baselineValue: null, bound: '<= 1', message: 'c: bad query' });
  });
});

describe('judgeBaseline', () => {
  it('allows a relative increase up to the limit, and fails past it', () => {
    const relative = check({ maxIncrease: '10%' });
    expect(judgeBaseline(relative, { value: 110 }, { value: 100 })).toEqual({
      result: 'pass',
      value: 110,
      baselineValue: 100,
      bound: 'vs baseline: increase <= 10%',
      message: 'c = 110 vs baseline 100 (+10.0%), within increase <= 10%',
    });
    expect(judgeBaseline(relative, { value: 111 }, { value: 100 })).toEqual({
      result: 'fail',
      value: 111,
      baselineValue: 100,
      bound: 'vs baseline: increase <= 10%',
      message: 'c = 111 is +11.0% over baseline 100; allowed 10% (up to 110)',
    });
  });

  it('takes a relative allowance of a negative baseline from its size', () => {
    // -100 + 10% of 100 = -90: -95 is within, -89 is not.
    expect(judgeBaseline(check({ maxIncrease: '10%' }), { value: -95 }, { value: -100 })).toMatchObject({ result: 'pass' });
    expect(judgeBaseline(check({ maxIncrease: '10%' }), { value: -89 }, { value: -100 })).toMatchObject({ result: 'fail', message: 'c = -89 is +11.0% over baseline -100; allowed 10% (up to -90)' });
    expect(judgeBaseline(check({ maxDecrease: '10%' }), { value: -110 }, { value: -100 })).toMatchObject({ result: 'pass' });
    expect(judgeBaseline(check({ maxDecrease: '10%' }), { value: -111 }, { value: -100 })).toMatchObject({ result: 'fail', message: 'c = -111 is -11.0% under baseline -100; allowed 10% (down to -110)' });
  });

  it('allows an absolute increase up to the limit', () => {
    const absolute = check({ maxIncrease: 0.01 });
    expect(judgeBaseline(absolute, { value: 0.03 }, { value: 0.02 })).toMatchObject({ result: 'pass', bound: 'vs baseline: increase <= 0.01' });
    expect(judgeBaseline(absolute, { value: 0.0301 }, { value: 0.02 })).toMatchObject({ result: 'fail', message: 'c = 0.0301 is +50.5% over baseline 0.02; allowed 0.01 (up to 0.03)' });
  });

  it('allows a decrease down to the limit, and fails past it', () => {
    const relative = check({ maxDecrease: '20%' });
    expect(judgeBaseline(relative, { value: 80 }, { value: 100 })).toMatchObject({ result: 'pass', message: 'c = 80 vs baseline 100 (-20.0%), within decrease <= 20%' });
    expect(judgeBaseline(relative, { value: 79 }, { value: 100 })).toEqual({
      result: 'fail',
      value: 79,
      baselineValue: 100,
      bound: 'vs baseline: decrease <= 20%',
      message: 'c = 79 is -21.0% under baseline 100; allowed 20% (down to 80)',
    });
    expect(judgeBaseline(check({ maxDecrease: 5 }), { value: 94 }, { value: 100 })).toMatchObject({ result: 'fail', message: 'c = 94 is -6.0% under baseline 100; allowed 5 (down to 95)' });
    expect(judgeBaseline(check({ maxDecrease: 5 }), { value: 95 }, { value: 100 })).toMatchObject({ result: 'pass' });
  });

  it('judges both limits, and a rise never fails a decrease limit', () => {
    const both = check({ maxIncrease: '10%', maxDecrease: '10%' });
    expect(judgeBaseline(both, { value: 105 }, { value: 100 })).toMatchObject({ result: 'pass', bound: 'vs baseline: increase <= 10% and decrease <= 10%', message: 'c = 105 vs baseline 100 (+5.0%), within increase <= 10% and decrease <= 10%' });
    expect(judgeBaseline(both, { value: 85 }, { value: 100 })).toMatchObject({ result: 'fail' });
    expect(judgeBaseline(both, { value: 115 }, { value: 100 })).toMatchObject({ result: 'fail' });
    expect(judgeBaseline(check({ maxDecrease: '10%' }), { value: 500 }, { value: 100 })).toMatchObject({ result: 'pass' });
    expect(judgeBaseline(check({ maxIncrease: '10%' }), { value: 1 }, { value: 100 })).toMatchObject({ result: 'pass' });
  });

  it('marks no change against a non-zero baseline as +0.0%', () => {
    expect(judgeBaseline(check({ maxIncrease: '10%' }), { value: 100 }, { value: 100 })).toMatchObject({ message: 'c = 100 vs baseline 100 (+0.0%), within increase <= 10%' });
  });

  it('describes a change from a zero baseline in absolute terms', () => {
    expect(judgeBaseline(check({ maxIncrease: 0.5 }), { value: 0 }, { value: 0 })).toMatchObject({ message: 'c = 0 vs baseline 0 (unchanged), within increase <= 0.5' });
    expect(judgeBaseline(check({ maxIncrease: 0.5 }), { value: 0.25 }, { value: 0 })).toMatchObject({ message: 'c = 0.25 vs baseline 0 (0.25 absolute), within increase <= 0.5' });
  });

  it('is inconclusive without baseline data and an error when the baseline failed, keeping the value', () => {
    const limit = check({ maxIncrease: '10%' });
    expect(judgeBaseline(limit, { value: 1 }, { noData: 'the query returned no series' })).toEqual({
      result: 'inconclusive',
      value: 1,
      baselineValue: null,
      bound: 'vs baseline: increase <= 10%',
      message: 'c: no baseline to compare with (the query returned no series)',
    });
    expect(judgeBaseline(limit, { value: 1 }, { error: 'timeout' })).toEqual({
      result: 'error',
      value: 1,
      baselineValue: null,
      bound: 'vs baseline: increase <= 10%',
      message: 'c: no baseline to compare with (timeout)',
    });
    expect(judgeBaseline(limit, { noData: 'nothing' }, { value: 1 })).toMatchObject({ result: 'inconclusive', value: null, message: 'c: no data (nothing)' });
    expect(judgeBaseline(limit, { error: 'boom' }, { value: 1 })).toMatchObject({ result: 'error', message: 'c: boom' });
  });
});

describe('judgeAlerts', () => {
  it('passes with no firing alert', () => {
    expect(judgeAlerts('alerts', [])).toEqual({ result: 'pass', value: 0, baselineValue: null, bound: 'no firing alerts', message: 'alerts: no matching alert is firing' });
  });

  it('fails naming each alert once, in the singular or plural', () => {
    expect(judgeAlerts('alerts', [{ alertname: 'HighErrors' }])).toEqual({
      result: 'fail',
      value: 1,
      baselineValue: null,
      bound: 'no firing alerts',
      message: 'alerts: 1 matching alert is firing: HighErrors',
      data: { alerts: [{ alertname: 'HighErrors' }] },
    });
    expect(judgeAlerts('alerts', [{ alertname: 'A', pod: '1' }, { alertname: 'A', pod: '2' }, {}])).toMatchObject({
      value: 3,
      message: 'alerts: 3 matching alerts are firing: A, (unnamed)',
    });
  });

  it('keeps at most 20 alerts in the record', () => {
    const many = Array.from({ length: 25 }, (_, i) => ({ alertname: `A${i}` }));
    expect((judgeAlerts('alerts', many).data?.alerts as unknown[]).length).toBe(20);
  });
});

describe('judgeStatistical', () => {
  const document = check({ query: 'q', baseline: {}, statistical: {} });

  it('states the defaults in its bound and reports the test in its data', () => {
    const canary = Array.from({ length: 20 }, (_, i) => 10 + i);
    const judged = judgeStatistical({ name: 'latency', document }, { values: canary }, { values: canary });
    expect(judged.bound).toBe('Mann-Whitney at 0.95 confidence, increase, min effect 0');
    expect(judged.result).toBe('pass');
    expect(judged.value).toBe(19.5);
    expect(judged.baselineValue).toBe(19.5);
    expect(judged.message.startsWith('latency: ')).toBe(true);
    expect(Object.keys(judged.data ?? {}).sort()).toEqual(['baselineSamples', 'canarySamples', 'effectSize', 'method', 'pValue', 'relativeShift']);
    expect(judged.data).toMatchObject({ canarySamples: 20, baselineSamples: 20 });
  });

  it('fails a clearly slower canary, and takes the options from the check', () => {
    const baseline = Array.from({ length: 20 }, (_, i) => 10 + (i % 5));
    const slower = baseline.map((v) => v * 3);
    const options = check({ query: 'q', baseline: {}, statistical: { confidence: 0.99, minEffectSize: 0.2, direction: 'either' } });
    const judged = judgeStatistical({ name: 'latency', document: options }, { values: slower }, { values: baseline });
    expect(judged.bound).toBe('Mann-Whitney at 0.99 confidence, either, min effect 0.2');
    expect(judged.result).toBe('fail');
    expect(typeof judged.data?.pValue).toBe('number');
    expect(typeof judged.data?.method).toBe('string');
    expect(judged.data?.effectSize).toEqual(expect.any(Object));
  });

  it('is an error when either side could not be read, saying which', () => {
    expect(judgeStatistical({ name: 's', document }, { error: 'down' }, { values: [1] })).toEqual(measurementError('s (canary): down', 'Mann-Whitney at 0.95 confidence, increase, min effect 0'));
    expect(judgeStatistical({ name: 's', document }, { values: [1] }, { error: 'gone' })).toMatchObject({ result: 'error', message: 's (baseline): gone' });
  });
});

describe('judgeWebhook', () => {
  it.each([
    [199, 'fail'],
    [200, 'pass'],
    [299, 'pass'],
    [300, 'fail'],
    [500, 'fail'],
  ] as const)('judges HTTP %i as %s', (status, result) => {
    expect(judgeWebhook('tests', { status, body: 'x', attempts: 2 })).toMatchObject({ result, value: status, bound: WEBHOOK_BOUND, data: { attempts: 2 } });
  });

  it('quotes at most 200 characters of a failing answer, and nothing of a passing one', () => {
    expect(judgeWebhook('tests', { status: 200, body: 'all good', attempts: 1 }).message).toBe('tests: webhook answered 200');
    expect(judgeWebhook('tests', { status: 500, body: `${'e'.repeat(250)}`, attempts: 3 }).message).toBe(`tests: webhook answered 500: ${'e'.repeat(200)}`);
    expect(WEBHOOK_BOUND).toBe('HTTP 2xx');
  });
});

describe('formatNumber', () => {
  it.each([
    [0, '0'],
    [0.0712, '0.0712'],
    [1234.5, '1235'],
    [0.123456, '0.1235'],
    [1e-4, '0.0001'],
    [1.2e-7, '1.2e-7'],
    [-0.00005, '-5e-5'],
    [1e6, '1e+6'],
    [2_500_000, '2.5e+6'],
    [Number.NaN, 'NaN'],
    [Number.NEGATIVE_INFINITY, '-Infinity'],
  ])('%d reads as %s', (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });
});
