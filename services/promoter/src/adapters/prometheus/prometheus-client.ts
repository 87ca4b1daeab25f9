/**
 * Client for the Prometheus HTTP API (`/api/v1`): instant and range queries, alerts, query validation,
 * readiness. Queries are POSTed as `application/x-www-form-urlencoded`, which the API accepts for
 * `/query`, `/query_range` and `/format_query`, so long PromQL never hits URL length limits.
 */
import { createInsecureFetch } from './insecure-fetch.js';
import type { FetchLike, HttpRequest } from './insecure-fetch.js';
import { interpretResponse } from './interpret-response.js';
import { parseAlerts, parseQueryData } from './parse-response.js';
import type { Envelope } from './parse-response.js';
import { PrometheusError } from './prometheus-error.js';
import type {
  Alert,
  InstantQueryOptions,
  PrometheusQueries,
  QueryResult,
  RangeQueryOptions,
} from './query-result.js';

export type PrometheusAuth =
  | { readonly type: 'bearer'; readonly token: string }
  | { readonly type: 'basic'; readonly username: string; readonly password: string };

export interface PrometheusClientOptions {
  /** E.g. `http://prometheus:9090`, or with a path prefix: `https://gateway/prometheus`. */
  readonly baseUrl: string;
  /** Per attempt, covering the response body too; also sent as the query's server-side `timeout`. Default 10 000. */
  readonly timeoutMs?: number;
  /** Extra attempts after the first for retryable failures. Default 2 (so at most 3 requests). */
  readonly retries?: number;
  /** First backoff delay; doubles every retry, with jitter (a random 50-100% of it). Default 250. */
  readonly retryBaseDelayMs?: number;
  readonly auth?: PrometheusAuth;
  /** Sent with every request, e.g. `{ 'X-Scope-OrgID': 'tenant-a' }` for Mimir, Cortex or Thanos. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Skip TLS certificate verification for `https:` URLs. Implemented with `node:https` (see
   * `createInsecureFetch`) because Node's global fetch would need undici, which is not a dependency.
   * Ignored when `fetch` is given: an injected fetch decides its own TLS.
   */
  readonly insecureSkipTlsVerify?: boolean;
  /** Injectable for tests or custom transports. Default: the global fetch. */
  readonly fetch?: typeof fetch;
}

export type QueryValidation = { readonly ok: true } | { readonly ok: false; readonly error: string };

export interface RequestOptions {
  readonly signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RETRIES = 2;
const DEFAULT_RETRY_BASE_DELAY_MS = 250;
const MAX_RETRY_DELAY_MS = 10_000;

/**
 * Prometheus HTTP API client with per-attempt timeouts and retries.
 *
 * Retries (exponential backoff with jitter) happen on network errors, timeouts and 5xx responses
 * (including the API's 503 for a query that timed out or was cancelled), never on 4xx: a 400 `bad_data`
 * or 422 `execution` error is the query's fault and fails at once. Every failure is a `PrometheusError`,
 * except that aborting the caller's `signal` rejects with the signal's reason.
 *
 * @example
 * const prometheus = new PrometheusClient({ baseUrl: 'http://prometheus:9090', headers: { 'X-Scope-OrgID': 'a' } });
 * const result = await prometheus.queryInstant('sum(rate(http_requests_total[5m]))');
 * if (result.resultType === 'vector') console.log(result.result[0]?.value);
 */
export class PrometheusClient implements PrometheusQueries {
  readonly baseUrl: string;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #retryBaseDelayMs: number;
  readonly #headers: Readonly<Record<string, string>>;
  /** Learned on first use: servers before 2.38 answer 404 to `/api/v1/format_query`. */
  #formatQuery: 'unknown' | 'supported' | 'missing' = 'unknown';

  constructor(options: PrometheusClientOptions) {
    const url = new URL(options.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`PrometheusClient: baseUrl must be http(s), got ${options.baseUrl}`);
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = positive(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
    this.#retries = options.retries ?? DEFAULT_RETRIES;
    if (!Number.isInteger(this.#retries) || this.#retries < 0) {
      throw new TypeError(`PrometheusClient: retries must be a non-negative integer, got ${options.retries}`);
    }
    this.#retryBaseDelayMs = options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS;
    this.#fetch = options.fetch ?? (options.insecureSkipTlsVerify ? createInsecureFetch() : fetch);
    this.#headers = buildHeaders(options.headers, options.auth);
  }

  /**
   * Evaluates `query` at one instant (`/api/v1/query`).
   *
   * @example
   * await prometheus.queryInstant('up', { time: new Date('2024-05-01T12:00:00Z') });
   */
  async queryInstant(query: string, options: InstantQueryOptions = {}): Promise<QueryResult> {
    const form: Record<string, string> = { query, timeout: this.#serverTimeout() };
    if (options.time !== undefined) form['time'] = unixSeconds(options.time);
    const envelope = await this.#call('POST', '/api/v1/query', form, options.signal);
    return this.#parse('/api/v1/query', () => parseQueryData(envelope.data, envelope.warnings, envelope.infos));
  }

  /**
   * Evaluates `query` over `[start, end]` every `stepSeconds` (`/api/v1/query_range`).
   *
   * @example
   * await prometheus.queryRange('rate(x[1m])', { start: tenMinutesAgo, end: new Date(), stepSeconds: 30 });
   */
  async queryRange(query: string, options: RangeQueryOptions): Promise<QueryResult> {
    positive(options.stepSeconds, 'stepSeconds');
    const form = {
      query,
      start: unixSeconds(options.start),
      end: unixSeconds(options.end),
      step: String(options.stepSeconds),
      timeout: this.#serverTimeout(),
    };
    const envelope = await this.#call('POST', '/api/v1/query_range', form, options.signal);
    return this.#parse('/api/v1/query_range', () => parseQueryData(envelope.data, envelope.warnings, envelope.infos));
  }

  /** Every active alert (`pending` and `firing`) from `/api/v1/alerts`. */
  async alerts(options: RequestOptions = {}): Promise<Alert[]> {
    const envelope = await this.#call('GET', '/api/v1/alerts', undefined, options.signal);
    return this.#parse('/api/v1/alerts', () => parseAlerts(envelope.data));
  }

  /**
   * The alerts in state `firing` (pending ones are still inside their `for:` duration).
   *
   * @example
   * const firing = await prometheus.firingAlerts();
   * const ours = firing.filter((alert) => alert.labels['namespace'] === 'mcp');
   */
  async firingAlerts(options: RequestOptions = {}): Promise<Alert[]> {
    return (await this.alerts(options)).filter((alert) => alert.state === 'firing');
  }

  /**
   * Whether Prometheus can parse `query`, with its error text when not. Uses `/api/v1/format_query`
   * (Prometheus >= 2.38); on a 404 from an older server it evaluates the query at time 0 instead (which
   * also reports 422 execution errors such as a bad regex in `label_replace`). Outages still throw.
   *
   * @example
   * const check = await prometheus.validateQuery('sum(rate(x[5m])');
   * if (!check.ok) console.log(check.error); // "invalid parameter \"query\": 1:17: parse error: ..."
   */
  async validateQuery(query: string, options: RequestOptions = {}): Promise<QueryValidation> {
    if (this.#formatQuery !== 'missing') {
      try {
        await this.#call('POST', '/api/v1/format_query', { query }, options.signal);
        this.#formatQuery = 'supported';
        return { ok: true };
      } catch (error) {
        const missing = error instanceof PrometheusError && error.status === 404 && this.#formatQuery === 'unknown';
        if (!missing) return invalidOrThrow(error);
        this.#formatQuery = 'missing';
      }
    }
    try {
      await this.#call('POST', '/api/v1/query', { query, time: '0', timeout: this.#serverTimeout() }, options.signal);
      return { ok: true };
    } catch (error) {
      return invalidOrThrow(error);
    }
  }

  /** True when `/-/ready` answers 200; false on any other answer or failure (no retries). */
  async ready(options: RequestOptions = {}): Promise<boolean> {
    try {
      const { status } = await this.#attempt('GET', '/-/ready', undefined, options.signal, 1);
      return status >= 200 && status < 300;
    } catch {
      return false;
    }
  }

  async #call(
    method: HttpRequest['method'],
    endpoint: string,
    form: Record<string, string> | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Envelope> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { status, text } = await this.#attempt(method, endpoint, form, signal, attempt);
        return interpretResponse(endpoint, status, text, attempt);
      } catch (error) {
        const again = error instanceof PrometheusError && error.retryable && attempt <= this.#retries;
        if (!again || signal?.aborted) throw error;
        await sleep(this.#backoff(attempt), signal);
      }
    }
  }

  /** One HTTP exchange, body included, under its own timeout. */
  async #attempt(
    method: HttpRequest['method'],
    endpoint: string,
    form: Record<string, string> | undefined,
    signal: AbortSignal | undefined,
    attempt: number,
  ): Promise<{ status: number; text: string }> {
    signal?.throwIfAborted();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`no response within ${this.#timeoutMs} ms`));
    }, this.#timeoutMs);
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const headers: Record<string, string> = { ...this.#headers };
      if (form !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
      const init: HttpRequest = { method, headers, signal: controller.signal };
      const request = form === undefined ? init : { ...init, body: new URLSearchParams(form).toString() };
      const response = await this.#fetch(`${this.baseUrl}${endpoint}`, request);
      return { status: response.status, text: await response.text() };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timedOut) {
        const cause: unknown = controller.signal.reason;
        throw new PrometheusError({ kind: 'timeout', endpoint, retryable: true, attempts: attempt, cause });
      }
      throw new PrometheusError({ kind: 'network', endpoint, retryable: true, attempts: attempt, cause: error });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #backoff(attempt: number): number {
    const ceiling = Math.min(MAX_RETRY_DELAY_MS, this.#retryBaseDelayMs * 2 ** (attempt - 1));
    // Jitter spreads the retries of many evaluations that failed together (e.g. a Prometheus restart).
    return ceiling / 2 + (Math.random() * ceiling) / 2;
  }

  #serverTimeout(): string {
    return String(this.#timeoutMs / 1000);
  }

  #parse<T>(endpoint: string, parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      throw new PrometheusError({
        kind: 'http',
        endpoint,
        status: 200,
        errorType: 'bad_response',
        serverMessage: error instanceof Error ? error.message : String(error),
        retryable: false,
        cause: error,
      });
    }
  }
}

function invalidOrThrow(error: unknown): QueryValidation {
  if (error instanceof PrometheusError && (error.kind === 'bad_data' || error.kind === 'execution')) {
    return { ok: false, error: error.serverMessage ?? error.message };
  }
  throw error;
}

function buildHeaders(
  extra: Readonly<Record<string, string>> | undefined,
  auth: PrometheusAuth | undefined,
): Record<string, string> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  for (const [name, value] of Object.entries(extra ?? {})) {
    // `auth` wins over a hand-written Authorization header rather than sending both.
    if (auth !== undefined && name.toLowerCase() === 'authorization') continue;
    headers[name] = value;
  }
  if (auth?.type === 'bearer') headers['Authorization'] = `Bearer ${auth.token}`;
  if (auth?.type === 'basic') {
    headers['Authorization'] = `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
  }
  return headers;
}

/** Prometheus accepts Unix seconds with a fraction; milliseconds are its resolution. */
function unixSeconds(date: Date): string {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new TypeError('PrometheusClient: invalid Date');
  return (ms / 1000).toFixed(3);
}

function positive(value: number, name: string): number {
  if (Number.isFinite(value) && value > 0) return value;
  throw new TypeError(`PrometheusClient: ${name} must be > 0, got ${value}`);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
