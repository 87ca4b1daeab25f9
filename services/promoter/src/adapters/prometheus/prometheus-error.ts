/**
 * - `network`: no HTTP response (connection refused or reset, DNS failure, TLS failure).
 * - `timeout`: no complete response within the client's per-attempt timeout.
 * - `http`: an HTTP error that is not a Prometheus API error (401, 403, 404, 5xx from a proxy), or a
 *   response that is not the API's JSON envelope (`errorType` is then `bad_response`).
 * - `bad_data`: 400 from the API: the query or its parameters are invalid (the policy's fault).
 * - `execution`: 422 from the API: the query parsed but could not be executed.
 * - `unavailable`: 503 from the API: query timed out or was cancelled on the server, or the server is
 *   not ready (e.g. still replaying its WAL).
 */
export type PrometheusErrorKind = 'network' | 'timeout' | 'http' | 'bad_data' | 'execution' | 'unavailable';

export interface PrometheusErrorInit {
  readonly kind: PrometheusErrorKind;
  /** API path, e.g. `/api/v1/query`. */
  readonly endpoint: string;
  readonly status?: number;
  /** Prometheus' `errorType` (`bad_data`, `execution`, `timeout`, `canceled`, `internal`, `unavailable`...). */
  readonly errorType?: string;
  /** Prometheus' `error` text, or the start of a non-JSON body. */
  readonly serverMessage?: string;
  readonly retryable: boolean;
  readonly attempts?: number;
  readonly cause?: unknown;
}

/**
 * The one error type the Prometheus client throws. `kind` says what went wrong in words a check can act
 * on (a `bad_data` query is the policy's fault; `network` / `timeout` / `unavailable` are outages), and
 * `retryable` whether trying again later can help.
 *
 * @example
 * try {
 *   await client.queryInstant('sum(rate(x[5m])');
 * } catch (error) {
 *   if (error instanceof PrometheusError && error.kind === 'bad_data') console.log(error.serverMessage);
 * }
 */
export class PrometheusError extends Error {
  readonly kind: PrometheusErrorKind;
  readonly endpoint: string;
  readonly status: number | undefined;
  readonly errorType: string | undefined;
  readonly serverMessage: string | undefined;
  readonly retryable: boolean;
  /** How many HTTP attempts were made before giving up (1 when no retry happened). */
  readonly attempts: number;

  constructor(init: PrometheusErrorInit) {
    super(describe(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'PrometheusError';
    this.kind = init.kind;
    this.endpoint = init.endpoint;
    this.status = init.status;
    this.errorType = init.errorType;
    this.serverMessage = init.serverMessage;
    this.retryable = init.retryable;
    this.attempts = init.attempts ?? 1;
  }
}

function describe(init: PrometheusErrorInit): string {
  const status = init.status === undefined ? '' : ` (HTTP ${init.status})`;
  const type = init.errorType === undefined || init.errorType === init.kind ? '' : ` ${init.errorType}`;
  const detail = init.serverMessage ?? causeMessage(init.cause);
  return `Prometheus ${init.kind}${type}${status} on ${init.endpoint}${detail ? `: ${detail}` : ''}`;
}

function causeMessage(cause: unknown): string | undefined {
  if (!(cause instanceof Error)) return undefined;
  // undici wraps the socket error: "fetch failed" with cause "connect ECONNREFUSED 127.0.0.1:9090".
  const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : '';
  return `${cause.message}${inner}`;
}
