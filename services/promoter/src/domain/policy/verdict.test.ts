import { describe, expect, it } from 'vitest';
import { normalizePolicy } from './model.js';
import { addResult, checkVerdict, EMPTY_TALLY, policyVerdict, tallyResults } from './verdict.js';
import type { MeasurementResult } from './measurement.js';

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
    expect(checkVerdict(check(), ['pass', 'fail'], false)).toMatchObject({ verdict: 'fail' });
    expect(checkVerdict(check({ failureLimit: 1 }), ['pass', 'fail'], true)).toMatchObject({ verdict: 'pass' });
    expect(checkVerdict(check({ consecutiveErrorLimit: 1 }), ['pass', 'error', 'error'], false)).toMatchObject({ verdict: 'error' });
    expect(checkVerdict(check({ samples: 3 }), ['pass'], false)).toMatchObject({ verdict: 'pending' });
    expect(checkVerdict(check({ samples: 3 }), ['pass'], true)).toMatchObject({ verdict: 'pass' });
    expect(policyVerdict([checkVerdict(check(), ['pass'], true), checkVerdict(check(), ['fail'], true)]).verdict).toBe('fail');
  });
});
