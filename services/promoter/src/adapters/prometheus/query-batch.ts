/**
 * Deduplication of queries within one evaluation round: several checks (and the canary and baseline
 * sides of one check) often render the same PromQL for the same instant. A round's batch sends each
 * distinct request once; concurrent callers share the in-flight promise.
 */
import type { InstantQueryOptions, PrometheusQueries, QueryResult, RangeQueryOptions } from './query-result.js';

export interface QueryBatchOptions {
  /** Cancels every request of the round. Per-call signals are ignored: their promises are shared. */
  readonly signal?: AbortSignal;
}

/** The query interface, deduplicated for one round. */
export interface QueryBatch extends PrometheusQueries {
  /** Requests actually sent so far (distinct keys). */
  readonly sent: number;
  /** Calls answered from an earlier identical call. */
  readonly shared: number;
}

/**
 * A deduplicating view of `client` for one evaluation round; make a new one per round so that results
 * never outlive it. Instant queries are identical when query text and `time` (or both "now") match; range
 * queries when query, start, end and step match. A failed request stays failed for the rest of the round:
 * every caller sees the same error (the client has already retried it).
 *
 * @example
 * const batch = createQueryBatch(prometheus);
 * const [a, b] = await Promise.all([batch.queryInstant(q, { time }), batch.queryInstant(q, { time })]); // one request
 */
export function createQueryBatch(client: PrometheusQueries, options: QueryBatchOptions = {}): QueryBatch {
  const inFlight = new Map<string, Promise<QueryResult>>();
  let shared = 0;
  const once = (key: string, run: () => Promise<QueryResult>): Promise<QueryResult> => {
    const existing = inFlight.get(key);
    if (existing !== undefined) {
      shared++;
      return existing;
    }
    const promise = run();
    inFlight.set(key, promise);
    return promise;
  };
  const signal = options.signal === undefined ? {} : { signal: options.signal };

  return {
    get sent() {
      return inFlight.size;
    },
    get shared() {
      return shared;
    },
    queryInstant(query: string, instant: InstantQueryOptions = {}) {
      const time = instant.time;
      const key = JSON.stringify(['instant', query, time === undefined ? null : time.getTime()]);
      return once(key, () => client.queryInstant(query, { ...(time === undefined ? {} : { time }), ...signal }));
    },
    queryRange(query: string, range: RangeQueryOptions) {
      const { start, end, stepSeconds } = range;
      const key = JSON.stringify(['range', query, start.getTime(), end.getTime(), stepSeconds]);
      return once(key, () => client.queryRange(query, { start, end, stepSeconds, ...signal }));
    },
  };
}
