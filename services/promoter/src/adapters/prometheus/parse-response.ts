/**
 * Parsing of the Prometheus HTTP API's JSON into typed values. Every function throws a TypeError naming
 * the offending field when the JSON is not what the API documents; the client turns that into a
 * `PrometheusError` of errorType `bad_response`.
 */
import type {
  Alert,
  AlertState,
  InstantSample,
  Labels,
  NativeHistogram,
  QueryResult,
  RangeSeries,
  Sample,
} from './query-result.js';

/** The API's envelope: `{ status, data, errorType?, error?, warnings?, infos? }`. */
export interface Envelope {
  readonly status: 'success' | 'error';
  readonly data: unknown;
  readonly errorType: string | undefined;
  readonly error: string | undefined;
  readonly warnings: readonly string[];
  readonly infos: readonly string[];
}

type Json = Record<string, unknown>;

/**
 * Prometheus writes sample values as strings because JSON has no NaN or infinities; Go formats them as
 * "NaN", "+Inf" and "-Inf", which JS `Number()` does not read ("+Inf" gives NaN), so they are mapped here.
 */
export function parseSampleValue(text: unknown, where = 'value'): number {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new TypeError(`${where}: expected a number as a string, got ${JSON.stringify(text)}`);
  }
  switch (text) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  const value = Number(text);
  if (Number.isNaN(value)) throw new TypeError(`${where}: not a number: ${JSON.stringify(text)}`);
  return value;
}

/** Reads the envelope; does not judge `status` (the caller knows the HTTP status too). */
export function parseEnvelope(body: unknown): Envelope {
  const json = object(body, 'response');
  const status = json['status'];
  if (status !== 'success' && status !== 'error') {
    throw new TypeError(`response.status: expected "success" or "error", got ${JSON.stringify(status)}`);
  }
  return {
    status,
    data: json['data'],
    errorType: optionalString(json['errorType'], 'response.errorType'),
    error: optionalString(json['error'], 'response.error'),
    warnings: stringList(json['warnings'], 'response.warnings'),
    infos: stringList(json['infos'], 'response.infos'),
  };
}

/** The `data` of `/api/v1/query` and `/api/v1/query_range`. */
export function parseQueryData(data: unknown, warnings: readonly string[], infos: readonly string[]): QueryResult {
  const json = object(data, 'data');
  const resultType = json['resultType'];
  const result = json['result'];
  switch (resultType) {
    case 'vector':
      return { resultType, result: list(result, 'data.result').map(parseInstantSample), warnings, infos };
    case 'matrix':
      return { resultType, result: list(result, 'data.result').map(parseRangeSeries), warnings, infos };
    case 'scalar':
      return { resultType, result: parsePoint(result, 'data.result'), warnings, infos };
    case 'string': {
      const [time, value] = pair(result, 'data.result');
      if (typeof value !== 'string') throw new TypeError('data.result[1]: expected a string');
      return { resultType, result: { time: timestamp(time, 'data.result[0]'), value }, warnings, infos };
    }
    default:
      throw new TypeError(`data.resultType: unknown result type ${JSON.stringify(resultType)}`);
  }
}

/** The `data` of `/api/v1/alerts`: `{ alerts: [...] }`. */
export function parseAlerts(data: unknown): Alert[] {
  const alerts = list(object(data, 'data')['alerts'], 'data.alerts');
  return alerts.map((raw, index) => {
    const where = `data.alerts[${index}]`;
    const alert = object(raw, where);
    const state = alert['state'];
    if (state !== 'firing' && state !== 'pending' && state !== 'inactive') {
      throw new TypeError(`${where}.state: unknown alert state ${JSON.stringify(state)}`);
    }
    const activeAtText = optionalString(alert['activeAt'], `${where}.activeAt`);
    const activeAt = activeAtText === undefined ? undefined : new Date(activeAtText);
    if (activeAt !== undefined && Number.isNaN(activeAt.getTime())) {
      throw new TypeError(`${where}.activeAt: not a timestamp: ${JSON.stringify(activeAtText)}`);
    }
    return {
      labels: labels(alert['labels'], `${where}.labels`),
      annotations: labels(alert['annotations'] ?? {}, `${where}.annotations`),
      state: state satisfies AlertState,
      ...(activeAt === undefined ? {} : { activeAt }),
      value: parseSampleValue(alert['value'], `${where}.value`),
    };
  });
}

function parseInstantSample(raw: unknown, index: number): InstantSample {
  const where = `data.result[${index}]`;
  const json = object(raw, where);
  const metric = labels(json['metric'] ?? {}, `${where}.metric`);
  if (json['histogram'] !== undefined) {
    const [time, histogram] = pair(json['histogram'], `${where}.histogram`);
    return {
      metric,
      time: timestamp(time, `${where}.histogram[0]`),
      value: Number.NaN,
      histogram: parseHistogram(histogram, `${where}.histogram[1]`),
    };
  }
  return { metric, ...parsePoint(json['value'], `${where}.value`) };
}

function parseRangeSeries(raw: unknown, index: number): RangeSeries {
  const where = `data.result[${index}]`;
  const json = object(raw, where);
  const metric = labels(json['metric'] ?? {}, `${where}.metric`);
  const samples = list(json['values'] ?? [], `${where}.values`).map((point, i) =>
    parsePoint(point, `${where}.values[${i}]`),
  );
  if (json['histograms'] === undefined) return { metric, samples };
  const histograms = list(json['histograms'], `${where}.histograms`).map((point, i) => {
    const [time, histogram] = pair(point, `${where}.histograms[${i}]`);
    return { time: timestamp(time, `${where}.histograms[${i}][0]`), histogram: parseHistogram(histogram, where) };
  });
  return { metric, samples, histograms };
}

function parseHistogram(raw: unknown, where: string): NativeHistogram {
  const json = object(raw, where);
  const buckets = list(json['buckets'] ?? [], `${where}.buckets`).map((bucket, i) => {
    const parts = list(bucket, `${where}.buckets[${i}]`);
    if (parts.length !== 4) throw new TypeError(`${where}.buckets[${i}]: expected 4 elements`);
    const [rule, lower, upper, count] = parts;
    if (typeof rule !== 'number') throw new TypeError(`${where}.buckets[${i}][0]: expected a number`);
    return [rule, parseSampleValue(lower), parseSampleValue(upper), parseSampleValue(count)] as const;
  });
  return {
    count: parseSampleValue(json['count'], `${where}.count`),
    sum: parseSampleValue(json['sum'], `${where}.sum`),
    buckets,
  };
}

function parsePoint(raw: unknown, where: string): Sample {
  const [time, value] = pair(raw, where);
  return { time: timestamp(time, `${where}[0]`), value: parseSampleValue(value, `${where}[1]`) };
}

function timestamp(raw: unknown, where: string): number {
  if (typeof raw !== 'number' || !Number.isFinite(raw)) throw new TypeError(`${where}: expected a Unix timestamp`);
  return raw;
}

function pair(raw: unknown, where: string): [unknown, unknown] {
  const parts = list(raw, where);
  if (parts.length !== 2) throw new TypeError(`${where}: expected [time, value]`);
  return [parts[0], parts[1]];
}

function labels(raw: unknown, where: string): Labels {
  const json = object(raw, where);
  for (const [name, value] of Object.entries(json)) {
    if (typeof value !== 'string') throw new TypeError(`${where}.${name}: expected a string label value`);
  }
  return json as Labels; // checked above: every value is a string
}

function object(raw: unknown, where: string): Json {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TypeError(`${where}: expected an object`);
  }
  return raw as Json; // a non-null, non-array object from JSON.parse
}

function list(raw: unknown, where: string): unknown[] {
  if (!Array.isArray(raw)) throw new TypeError(`${where}: expected an array`);
  return raw;
}

function optionalString(raw: unknown, where: string): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') throw new TypeError(`${where}: expected a string`);
  return raw;
}

function stringList(raw: unknown, where: string): readonly string[] {
  if (raw === undefined || raw === null) return [];
  return list(raw, where).map((item, i) => {
    if (typeof item !== 'string') throw new TypeError(`${where}[${i}]: expected a string`);
    return item;
  });
}
