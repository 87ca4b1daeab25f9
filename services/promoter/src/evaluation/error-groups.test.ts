import { describe, expect, it } from 'vitest';
import { groupErrors } from './error-groups.js';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 10, minute));
const m = (minute: number, result: 'pass' | 'fail' | 'error', message = '') => ({ result, message, measuredAt: at(minute) });

describe('groupErrors', () => {
  it.each([
    ['no measurements', { given: [], want: [] }],
    ['passes and failures are not errors', { given: [m(0, 'pass'), m(1, 'fail', 'x = 2 > 1')], want: [] }],
    [
      'one error many times: once, with its count and first and last time',
      { given: [m(0, 'error', 'down'), m(1, 'error', 'down'), m(2, 'pass'), m(3, 'error', 'down')], want: [{ message: 'down', count: 3, first: at(0).toISOString(), last: at(3).toISOString() }] },
    ],
    [
      'different errors apart, in order of first appearance',
      {
        given: [m(0, 'error', 'timeout'), m(1, 'error', 'down'), m(2, 'error', 'timeout')],
        want: [
          { message: 'timeout', count: 2, first: at(0).toISOString(), last: at(2).toISOString() },
          { message: 'down', count: 1, first: at(1).toISOString(), last: at(1).toISOString() },
        ],
      },
    ],
  ])('%s', (_name, { given, want }) => {
    expect(groupErrors(given)).toEqual(want);
  });
});
