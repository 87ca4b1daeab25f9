/**
 * What the Prometheus HTTP API returns, as plain typed data. Timestamps are Unix seconds (with a
 * millisecond fraction), as Prometheus sends them; values are JS numbers, including NaN, +Inf and -Inf
 * (Prometheus sends every sample value as a string such as "1.5", "NaN", "+Inf", "-Inf").
 */

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  /** Unix time in seconds. */
  readonly time: number;
  readonly value: number;
}

/**
 * A native histogram sample (Prometheus >= 2.40 with `--enable-feature=native-histograms`). Buckets are
 * [boundaryRule, lower, upper, count] as the API sends them, with numbers parsed.
 */
export interface NativeHistogram {
  readonly count: number;
  readonly sum: number;
  readonly buckets: ReadonlyArray<readonly [boundaryRule: number, lower: number, upper: number, count: number]>;
}

/** One series of an instant vector. */
export interface InstantSample extends Sample {
  readonly metric: Labels;
  /** Set for native histogram samples; `value` is NaN then. */
  readonly histogram?: NativeHistogram;
}

/** One series of a range vector (matrix). */
export interface RangeSeries {
  readonly metric: Labels;
  readonly samples: readonly Sample[];
  /** Native histogram samples, when the series has any. */
  readonly histograms?: ReadonlyArray<{ readonly time: number; readonly histogram: NativeHistogram }>;
}

/** A string result (`"text"` as a whole query); rarely useful, but part of the API. */
export interface StringValue {
  readonly time: number;
  readonly value: string;
}

interface ResultBase {
  /** Non-fatal problems Prometheus reported (e.g. a remote-read endpoint failed); data is still valid. */
  readonly warnings: readonly string[];
  /** Info-level annotations (Prometheus >= 2.50 only; always empty with older servers). */
  readonly infos: readonly string[];
}

export type QueryResult =
  | (ResultBase & { readonly resultType: 'vector'; readonly result: readonly InstantSample[] })
  | (ResultBase & { readonly resultType: 'matrix'; readonly result: readonly RangeSeries[] })
  | (ResultBase & { readonly resultType: 'scalar'; readonly result: Sample })
  | (ResultBase & { readonly resultType: 'string'; readonly result: StringValue });

export type AlertState = 'firing' | 'pending' | 'inactive';

/** An alert from `/api/v1/alerts`. */
export interface Alert {
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly state: AlertState;
  /** When the alert became active (pending); absent if Prometheus did not say. */
  readonly activeAt?: Date;
  /** The value of the alerting expression when the alert was last evaluated. */
  readonly value: number;
}

export interface InstantQueryOptions {
  /** Evaluation time; the server's "now" when absent. */
  readonly time?: Date;
  /** Cancels the request (all attempts) when aborted. */
  readonly signal?: AbortSignal;
}

export interface RangeQueryOptions {
  readonly start: Date;
  readonly end: Date;
  readonly stepSeconds: number;
  readonly signal?: AbortSignal;
}

/**
 * The query side of the client. `PrometheusClient` and a round's `QueryBatch` both implement it, so check
 * evaluation code can take either.
 */
export interface PrometheusQueries {
  queryInstant(query: string, options?: InstantQueryOptions): Promise<QueryResult>;
  queryRange(query: string, options: RangeQueryOptions): Promise<QueryResult>;
}
