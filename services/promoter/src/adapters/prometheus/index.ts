export { createInsecureFetch } from './insecure-fetch.js';
export type { FetchLike, HttpRequest } from './insecure-fetch.js';
export { parseSampleValue } from './parse-response.js';
export { PrometheusClient } from './prometheus-client.js';
export type {
  PrometheusAuth,
  PrometheusClientOptions,
  QueryValidation,
  RequestOptions,
} from './prometheus-client.js';
export { PrometheusError } from './prometheus-error.js';
export type { PrometheusErrorInit, PrometheusErrorKind } from './prometheus-error.js';
export { createQueryBatch } from './query-batch.js';
export type { QueryBatch, QueryBatchOptions } from './query-batch.js';
export type {
  Alert,
  AlertState,
  InstantQueryOptions,
  InstantSample,
  Labels,
  NativeHistogram,
  PrometheusQueries,
  QueryResult,
  RangeQueryOptions,
  RangeSeries,
  Sample,
  StringValue,
} from './query-result.js';
