import { describe, expect, it } from 'vitest';
import { normalizePolicy } from '../policy/model.js';
import { addResult, checkVerdict, EMPTY_TALLY, phaseVerdict, tallyResults } from './index.js';
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
