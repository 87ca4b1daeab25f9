import { describe, expect, it } from 'vitest';
import { parseAlerts, parseEnvelope, parseQueryData, parseSampleValue } from './parse-response.js';

describe('parseSampleValue', () => {
  // Prometheus formats values with Go's strconv.FormatFloat(v, 'f' or 'e', -1, 64): "NaN", "+Inf", "-Inf".
  const valid: ReadonlyArray<[string, { given: string; want: number }]> = [
    ['integer', { given: '1', want: 1 }],
    ['fraction', { given: '0.25', want: 0.25 }],
    ['negative', { given: '-3.5', want: -3.5 }],
    ['exponent, as in alert values', { given: '1e+00', want: 1 }],
    ['small exponent', { given: '1.5e-07', want: 1.5e-7 }],
    ['positive infinity', { given: '+Inf', want: Number.POSITIVE_INFINITY }],
    ['negative infinity', { given: '-Inf', want: Number.NEGATIVE_INFINITY }],
  ];
  it.each(valid)('%s', (_name, { given, want }) => {
    expect(parseSampleValue(given)).toBe(want);
  });

  it('NaN is a value, not an error', () => {
    expect(parseSampleValue('NaN')).toBeNaN();
  });

  const invalid: ReadonlyArray<[string, unknown]> = [
    ['empty string', ''],
    ['a JSON number instead of a string', 1],
    ['text', 'abc'],
    ['null', null],
  ];
  it.each(invalid)('rejects %s', (_name, given) => {
    expect(() => parseSampleValue(given)).toThrow(TypeError);
  });
});

describe('parseQueryData', () => {
  const cases: ReadonlyArray<[string, { data: unknown; want: unknown }]> = [
    [
      'vector',
      {
        data: { resultType: 'vector', result: [{ metric: { __name__: 'up', job: 'a' }, value: [1700000000.123, '1'] }] },
        want: { resultType: 'vector', result: [{ metric: { __name__: 'up', job: 'a' }, time: 1700000000.123, value: 1 }] },
      },
    ],
    [
      'empty vector',
      { data: { resultType: 'vector', result: [] }, want: { resultType: 'vector', result: [] } },
    ],
    [
      'matrix',
      {
        data: { resultType: 'matrix', result: [{ metric: { job: 'a' }, values: [[10, '1'], [11, '-Inf']] }] },
        want: {
          resultType: 'matrix',
          result: [{ metric: { job: 'a' }, samples: [{ time: 10, value: 1 }, { time: 11, value: Number.NEGATIVE_INFINITY }] }],
        },
      },
    ],
    [
      'scalar',
      { data: { resultType: 'scalar', result: [5, '+Inf'] }, want: { resultType: 'scalar', result: { time: 5, value: Number.POSITIVE_INFINITY } } },
    ],
    [
      'string',
      { data: { resultType: 'string', result: [5, 'hello'] }, want: { resultType: 'string', result: { time: 5, value: 'hello' } } },
    ],
    [
      'native histogram sample',
      {
        data: {
          resultType: 'vector',
          result: [{ metric: {}, histogram: [7, { count: '3', sum: '1.5', buckets: [[0, '0.5', '1', '3']] }] }],
        },
        want: {
          resultType: 'vector',
          result: [{ metric: {}, time: 7, value: Number.NaN, histogram: { count: 3, sum: 1.5, buckets: [[0, 0.5, 1, 3]] } }],
        },
      },
    ],
  ];
  it.each(cases)('%s', (_name, { data, want }) => {
    expect(parseQueryData(data, [], [])).toEqual({ ...(want as object), warnings: [], infos: [] });
  });

  it('keeps NaN sample values', () => {
    const result = parseQueryData({ resultType: 'scalar', result: [1, 'NaN'] }, [], []);
    expect(result.resultType === 'scalar' && Number.isNaN(result.result.value)).toBe(true);
  });

  it('rejects an unknown result type and malformed points with the field named', () => {
    expect(() => parseQueryData({ resultType: 'table', result: [] }, [], [])).toThrow(/resultType/);
    expect(() => parseQueryData({ resultType: 'vector', result: [{ metric: {}, value: [1] }] }, [], [])).toThrow(
      /data\.result\[0\]\.value/,
    );
  });
});

describe('parseEnvelope', () => {
  it('reads warnings and infos, defaulting them to empty', () => {
    expect(parseEnvelope({ status: 'success', data: 1, warnings: ['w'], infos: ['i'] })).toMatchObject({
      warnings: ['w'],
      infos: ['i'],
    });
    expect(parseEnvelope({ status: 'success', data: 1 })).toMatchObject({ warnings: [], infos: [] });
  });

  it('reads the error fields', () => {
    expect(parseEnvelope({ status: 'error', errorType: 'bad_data', error: 'parse error' })).toMatchObject({
      status: 'error',
      errorType: 'bad_data',
      error: 'parse error',
    });
  });

  it('rejects a body that is not an envelope', () => {
    expect(() => parseEnvelope('<html>')).toThrow(TypeError);
    expect(() => parseEnvelope({ status: 'ok' })).toThrow(/status/);
  });
});

describe('parseAlerts', () => {
  // Shape from the Prometheus HTTP API docs, "Alerts" section.
  it('parses labels, annotations, state, activeAt and the value', () => {
    const alerts = parseAlerts({
      alerts: [
        {
          activeAt: '2018-07-04T20:27:12.60602144+02:00',
          annotations: { summary: 'high' },
          labels: { alertname: 'my-alert' },
          state: 'firing',
          value: '1e+00',
        },
        { labels: { alertname: 'other' }, annotations: {}, state: 'pending', value: 'NaN' },
      ],
    });
    expect(alerts[0]).toEqual({
      labels: { alertname: 'my-alert' },
      annotations: { summary: 'high' },
      state: 'firing',
      activeAt: new Date('2018-07-04T18:27:12.606Z'),
      value: 1,
    });
    expect(alerts[1]?.state).toBe('pending');
    expect(alerts[1]?.activeAt).toBeUndefined();
    expect(alerts[1]?.value).toBeNaN();
  });

  it('rejects an unknown state', () => {
    expect(() => parseAlerts({ alerts: [{ labels: {}, state: 'on', value: '1' }] })).toThrow(/state/);
  });
});
