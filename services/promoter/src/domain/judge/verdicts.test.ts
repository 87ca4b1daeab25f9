import { describe, expect, it } from 'vitest';
import { normalizePolicy } from '../policy/model.js';
import { addResult, checkVerdict, EMPTY_TALLY, finalVerdict, isStopping, phaseVerdict, tallyResults } from './index.js';
import type { MeasurementResult } from './index.js';

function check(overrides: Record<string, unknown> = {}) {
  const policy = normalizePolicy({ checks: [{ name: 'err', query: 'up', max: 0.05, ...overrides }] } as never);
  return policy.checks[0]!;
}

describe('tallies', () => {
  it('count results and the errors since the last measurement that was not an error', () => {
    const results: MeasurementResult[] = ['error', 'pass', 'fail', 'inconclusive', 'error', 'error'];
    expect(tallyResults(results)).toEqual({ total: 6, failed: 1, noData: 1, errors: 3, trailingErrors: 2 });
    expect(addResult(tallyResults(results), 'pass').trailingErrors).toBe(0);
    expect(tallyResults([])).toEqual(EMPTY_TALLY);
  });
});

describe('checkVerdict', () => {
  const sequences: MeasurementResult[][] = [
    [],
    ['pass'],
    ['fail'],
    ['error', 'error', 'error', 'error'],
    ['pass', 'error', 'error'],
    ['inconclusive', 'pass', 'pass'],
    ['pass', 'fail', 'pass', 'fail', 'pass'],
  ];
  it.each(sequences.map((s) => [s.join(',') || '(none)', s] as const))('judges %s the same from the list and from its tally', (_name, results) => {
    for (const overrides of [{}, { failureLimit: 1 }, { onNoData: 'fail' }, { onNoData: 'inconclusive' }, { samples: 3 }]) {
      for (const complete of [false, true]) {
        expect(checkVerdict(check(overrides), tallyResults(results), complete)).toEqual(checkVerdict(check(overrides), results, complete));
      }
    }
  });

  it('fails past the failure limit, errors past the consecutive error limit, waits for samples', () => {
    expect(checkVerdict(check(), ['pass', 'fail'], false)).toMatchObject({ outcome: 'fail' });
    expect(checkVerdict(check({ failureLimit: 1 }), ['pass', 'fail'], true)).toMatchObject({ outcome: 'pass' });
    expect(checkVerdict(check({ consecutiveErrorLimit: 1 }), ['pass', 'error', 'error'], false)).toMatchObject({ outcome: 'error' });
    expect(checkVerdict(check({ samples: 3 }), ['pass'], false)).toMatchObject({ outcome: 'pending' });
    expect(checkVerdict(check({ samples: 3 }), ['pass'], true)).toMatchObject({ outcome: 'pass' });
    expect(phaseVerdict([checkVerdict(check(), ['pass'], true), checkVerdict(check(), ['fail'], true)]).outcome).toBe('fail');
  });

  it('is an error at once when the latest measurement cannot be made without reconfiguring the service', () => {
    const unmeasurable = { unmeasurable: true as const, message: 'err: PROMETHEUS_URL is not configured' };
    expect(checkVerdict(check(), ['error'], false, unmeasurable)).toEqual({ check: 'err', outcome: 'error', reason: 'err: PROMETHEUS_URL is not configured' });
    expect(checkVerdict(check(), ['error'], false)).toMatchObject({ outcome: 'pending' });
  });
});

describe('phaseVerdict', () => {
  it('says once what the service lacks, naming each check it stops once, grouped by what they lack', () => {
    const lacking = (name: string, what: string) => checkVerdict(check({ name }), ['error'], false, { unmeasurable: true, message: `${name}: cannot be measured: ${what}`, lacking: what });
    const verdict = phaseVerdict([
      lacking('a', 'the service has no PROMETHEUS_URL'),
      checkVerdict(check({ name: 'hook' }), ['pass'], true),
      lacking('b', 'the service has no PROMETHEUS_URL'),
      lacking('c', 'the service has no Kubernetes configuration'),
    ]);
    expect(verdict).toEqual({
      outcome: 'error',
      reason: '2 checks cannot be measured (a, b): the service has no PROMETHEUS_URL; 1 check cannot be measured (c): the service has no Kubernetes configuration',
      decidingCheck: 'a',
    });
  });

  const named = (name: string, results: MeasurementResult[]) => checkVerdict(check({ name }), results, true);
  const measured = (name: string, result: MeasurementResult, message: string) => ({ check: name, result, message, value: null, baselineValue: null, bound: null });

  it('names the deciding check and takes its evidence by name, not by prefix', () => {
    const verdict = phaseVerdict(
      [named('latency', ['fail']), named('latency-p99', ['fail'])],
      [measured('latency-p99', 'fail', 'latency-p99 = 2 > max 1'), measured('latency', 'fail', 'latency = 0.9 > max 0.5')],
    );
    expect(verdict).toMatchObject({ outcome: 'fail', decidingCheck: 'latency', evidence: 'latency = 0.9 > max 0.5' });
    expect(verdict.reason).toBe('latency failed 1 of 1 measurements; 0 tolerated (latency = 0.9 > max 0.5); latency-p99 failed 1 of 1 measurements; 0 tolerated');
  });

  it('lists every check that is not passing, worst first', () => {
    const verdict = phaseVerdict([named('a', ['pass']), named('b', ['error', 'error', 'error', 'error']), named('c', ['fail'])]);
    expect(verdict.decidingCheck).toBe('c');
    expect(verdict.reason).toMatch(/^c failed .*; b could not be measured/);
  });

  it('passes when every check passes, and says so', () => {
    expect(phaseVerdict([named('a', ['pass']), named('b', ['pass'])])).toEqual({ outcome: 'pass', reason: 'all 2 checks passed' });
    expect(phaseVerdict([])).toEqual({ outcome: 'pass', reason: 'the phase has no checks' });
  });
});

describe('checkVerdict at its boundaries (the first mutation run found these unpinned)', () => {
  const R = (text: string) => text.split(',').filter(Boolean) as MeasurementResult[];

  it.each([
    // [overrides, results, complete, outcome, reason]
    [{}, '', false, 'pending', 'err: 0 of 1 measurements'],
    [{}, '', true, 'inconclusive', 'err was not measured'],
    [{}, 'pass', false, 'pass', 'err passed 1 of 1 measurements'],
    [{ failureLimit: 1 }, 'fail', true, 'pass', 'err passed 0 of 1 measurements'],
    [{ failureLimit: 1 }, 'fail,fail', true, 'fail', 'err failed 2 of 2 measurements; 1 tolerated'],
    [{ consecutiveErrorLimit: 2 }, 'pass,error,error', false, 'pass', 'err passed 1 of 1 measurements'],
    [{ consecutiveErrorLimit: 2 }, 'pass,error,error,error', false, 'error', 'err could not be measured 3 times in a row; 2 tolerated'],
    [{ consecutiveErrorLimit: 2 }, 'error,error', true, 'error', 'err could not be measured'],
    [{ samples: 3 }, 'pass,pass', false, 'pending', 'err: 2 of 3 measurements'],
    [{ samples: 3 }, 'pass,pass,pass', false, 'pass', 'err passed 3 of 3 measurements'],
    [{ samples: 3 }, 'pass,error,pass', true, 'pass', 'err passed 2 of 2 measurements'],
    [{ onNoData: 'fail' }, 'pass,inconclusive', true, 'fail', 'err failed 1 of 2 measurements (0 failed, 1 without data); 0 tolerated'],
    [{ onNoData: 'fail', failureLimit: 2 }, 'fail,inconclusive', true, 'pass', 'err passed 0 of 2 measurements'],
    [{ onNoData: 'inconclusive' }, 'pass,inconclusive', true, 'inconclusive', 'err had no data in 1 of 2 measurements'],
    [{ onNoData: 'inconclusive' }, 'pass,pass', true, 'pass', 'err passed 2 of 2 measurements'],
    [{ onNoData: 'pass' }, 'pass,inconclusive', true, 'pass', 'err passed 2 of 2 measurements'],
  ] as const)('%j after %s (complete: %s) is %s: %s', (overrides, results, complete, outcome, reason) => {
    expect(checkVerdict(check(overrides), R(results), complete)).toEqual({ check: 'err', outcome, reason });
  });

  it('is an error at once when the latest measurement cannot be measured, keeping what is lacking', () => {
    const latest = { unmeasurable: true as const, message: 'err: the service has no PROMETHEUS_URL', lacking: 'the service has no PROMETHEUS_URL' };
    expect(checkVerdict(check(), ['error'], false, latest)).toEqual({ check: 'err', outcome: 'error', reason: latest.message, lacking: latest.lacking });
    expect(checkVerdict(check(), ['error'], false, { unmeasurable: true, message: 'm' })).toEqual({ check: 'err', outcome: 'error', reason: 'm' });
    expect(checkVerdict(check(), ['pass'], false, { message: 'measured' })).toMatchObject({ outcome: 'pass' });
  });
});

describe('phaseVerdict ranks and names', () => {
  const v = (check: string, outcome: 'pass' | 'pending' | 'inconclusive' | 'error' | 'fail', reason = `${check} ${outcome}`) => ({ check, outcome, reason });

  it('passes a phase with no checks, one check or many, in words', () => {
    expect(phaseVerdict([])).toEqual({ outcome: 'pass', reason: 'the phase has no checks' });
    expect(phaseVerdict([v('a', 'pass')])).toEqual({ outcome: 'pass', reason: 'the 1 check passed' });
    expect(phaseVerdict([v('a', 'pass'), v('b', 'pass')])).toEqual({ outcome: 'pass', reason: 'all 2 checks passed' });
  });

  it('orders fail over error over inconclusive over pending, naming every stopping check worst first', () => {
    expect(phaseVerdict([v('a', 'pending'), v('b', 'pass')])).toEqual({ outcome: 'pending', reason: 'a pending', decidingCheck: 'a' });
    expect(phaseVerdict([v('a', 'inconclusive'), v('b', 'fail'), v('c', 'error'), v('d', 'pending')])).toEqual({
      outcome: 'fail',
      reason: 'b fail; c error; a inconclusive',
      decidingCheck: 'b',
    });
    expect(phaseVerdict([v('a', 'inconclusive'), v('b', 'error')])).toMatchObject({ outcome: 'error', decidingCheck: 'b' });
  });

  it("adds the deciding check's latest non-passing measurement as evidence, unless it says the same", () => {
    const measurements = [
      { check: 'b', result: 'pass' as const, message: 'b = 0.01', value: 0.01, baselineValue: null, bound: '<= 0.05' },
      { check: 'b', result: 'fail' as const, message: 'b = 0.3 > max 0.05', value: 0.3, baselineValue: null, bound: '<= 0.05' },
      { check: 'a', result: 'fail' as const, message: 'a = 9', value: 9, baselineValue: null, bound: '<= 1' },
    ];
    expect(phaseVerdict([v('b', 'fail', 'b failed 1 of 2')], measurements)).toEqual({
      outcome: 'fail',
      reason: 'b failed 1 of 2 (b = 0.3 > max 0.05)',
      decidingCheck: 'b',
      evidence: 'b = 0.3 > max 0.05',
    });
    expect(phaseVerdict([v('b', 'fail', 'b = 0.3 > max 0.05')], measurements)).toEqual({ outcome: 'fail', reason: 'b = 0.3 > max 0.05', decidingCheck: 'b' });
  });

  it('says once per thing lacking which checks cannot be measured', () => {
    const lacking = (check: string, what: string) => ({ check, outcome: 'error' as const, reason: `${check}: ${what}`, lacking: what });
    expect(phaseVerdict([lacking('a', 'no PROMETHEUS_URL'), lacking('b', 'no PROMETHEUS_URL'), lacking('c', 'no Kubernetes'), v('d', 'pass')])).toEqual({
      outcome: 'error',
      reason: '2 checks cannot be measured (a, b): no PROMETHEUS_URL; 1 check cannot be measured (c): no Kubernetes',
      decidingCheck: 'a',
    });
    // One check failing for a reason of its own: the ordinary reason, every check named.
    expect(phaseVerdict([lacking('a', 'no PROMETHEUS_URL'), v('b', 'fail')]).reason).toBe('b fail; a: no PROMETHEUS_URL');
  });
});

describe('phaseVerdict leaves out what does not stop the phase', () => {
  const v = (check: string, outcome: 'pass' | 'pending' | 'fail', reason = `${check} ${outcome}`) => ({ check, outcome, reason });

  it('a failing phase does not list its passing checks', () => {
    expect(phaseVerdict([v('a', 'pass'), v('b', 'fail'), v('c', 'pass')])).toEqual({ outcome: 'fail', reason: 'b fail', decidingCheck: 'b' });
  });

  it('a pending phase gives the pending check\'s reason alone, without evidence, even when it has a failed measurement', () => {
    const measurements = [{ check: 'a', result: 'fail' as const, message: 'a = 0.3 > max 0.05', value: 0.3, baselineValue: null, bound: '<= 0.05' }];
    expect(phaseVerdict([v('a', 'pending', 'a: 1 of 3 measurements'), v('b', 'pass')], measurements)).toEqual({
      outcome: 'pending',
      reason: 'a: 1 of 3 measurements',
      decidingCheck: 'a',
    });
  });
});

describe('checkVerdict names measurements without data only when they count as failures', () => {
  it.each([['pass'], ['inconclusive']] as const)('onNoData %s: the failures alone', (onNoData) => {
    expect(checkVerdict(check({ onNoData }), ['fail', 'inconclusive'], true).reason).toBe('err failed 1 of 2 measurements; 0 tolerated');
  });

  it('onNoData fail: how many failed and how many had no data', () => {
    expect(checkVerdict(check({ onNoData: 'fail' }), ['fail', 'inconclusive'], true).reason).toBe('err failed 2 of 2 measurements (1 failed, 1 without data); 0 tolerated');
  });
});

describe('isStopping and finalVerdict', () => {
  const outcomes = ['pass', 'pending', 'inconclusive', 'error', 'fail'] as const;
  const stops: Record<(typeof outcomes)[number], boolean> = { pass: false, pending: false, inconclusive: true, error: true, fail: true };
  const stored: Record<(typeof outcomes)[number], string> = { pass: 'pass', pending: 'inconclusive', inconclusive: 'inconclusive', error: 'error', fail: 'fail' };
  it.each(outcomes)('%s', (outcome) => {
    expect(isStopping({ outcome, reason: 'r' })).toBe(stops[outcome]);
    expect(finalVerdict(outcome)).toBe(stored[outcome]);
  });
});
