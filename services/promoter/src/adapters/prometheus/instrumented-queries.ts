/** Counts the service's queries to Prometheus by outcome (`promoter_prometheus_requests_total`). */
import type { Counter } from 'prom-client';
import type { InstantQueryOptions, PrometheusQueries, QueryResult, RangeQueryOptions } from './query-result.js';

export function instrumentQueries(queries: PrometheusQueries, counter: Counter<'outcome'>): PrometheusQueries {
  const count = async (run: () => Promise<QueryResult>) => {
    try {
      const result = await run();
      counter.inc({ outcome: 'ok' });
      return result;
    } catch (error) {
      counter.inc({ outcome: 'error' });
      throw error;
    }
  };
  return {
    queryInstant: (query: string, options?: InstantQueryOptions) => count(() => queries.queryInstant(query, options)),
    queryRange: (query: string, options: RangeQueryOptions) => count(() => queries.queryRange(query, options)),
  };
}
