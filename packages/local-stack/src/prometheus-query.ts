/**
 * The one Prometheus call the launcher needs: an instant query answered as a vector. The service has its
 * full client (retries, auth, every result type); this package stays independent of the service, so a
 * broken client there cannot hide itself behind the stack that tests it.
 */

/** One sample of an instant vector; `value` is the number Prometheus wrote (NaN, +Inf included). */
export interface VectorSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A query Prometheus refused: retrying the same text will not help (bad_data, execution). */
export class PrometheusQueryError extends Error {
  constructor(
    readonly query: string,
    readonly errorType: string,
    message: string,
  ) {
    super(`prometheus refused ${query}: ${errorType}: ${message}`);
    this.name = 'PrometheusQueryError';
  }
}

interface QueryEnvelope {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: Array<{ metric?: Record<string, string>; value?: [number, string] }> };
}

/**
 * Runs `query` at the current time. Resolves with the vector; rejects with PrometheusQueryError when
 * Prometheus refuses the query (400 or 422) and with an ordinary Error when it cannot be reached or answers
 * otherwise (worth retrying), or the result is not a vector.
 */
export async function queryVector(baseUrl: string, query: string, timeoutMs = 5_000): Promise<VectorSample[]> {
  const url = `${baseUrl}/api/v1/query?${new URLSearchParams({ query })}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = (await response.json().catch(() => ({}))) as QueryEnvelope;
  if (response.status === 400 || response.status === 422) {
    throw new PrometheusQueryError(query, body.errorType ?? String(response.status), body.error ?? 'no message');
  }
  if (!response.ok || body.status !== 'success') throw new Error(`prometheus answered ${response.status} to ${query}`);
  if (body.data?.resultType !== 'vector') throw new PrometheusQueryError(query, 'not_a_vector', `the result is a ${body.data?.resultType}, not a vector`);
  return (body.data.result ?? []).map((sample) => ({ metric: sample.metric ?? {}, value: Number(sample.value?.[1]) }));
}

/** Whether Prometheus answers `/-/ready` with 200. */
export async function isReady(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/-/ready`, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
