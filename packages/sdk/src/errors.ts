/**
 * The SDK's errors. `PromoterError`: the service answered with a problem (RFC 9457). `PromoterNetworkError`:
 * no answer at all. `PromoterTimeoutError` / `PromoterAbortError`: the caller's deadline or signal ended a wait.
 * Callers branch on `code` (stable) rather than on messages.
 */
import type { FieldError, Problem, ProblemCode } from './types.js';

export interface PromoterErrorInit {
  readonly status: number;
  readonly code: string;
  readonly type: string;
  readonly title: string;
  readonly detail?: string | undefined;
  readonly instance?: string | undefined;
  readonly errors?: readonly FieldError[] | undefined;
  readonly requestId?: string | undefined;
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly retryAfterMs?: number | undefined;
}

/**
 * The service answered with an error status. Carries the problem document's fields.
 *
 * @example
 * ```ts
 * try {
 *   await client.promotions.get(id);
 * } catch (error) {
 *   if (isPromoterError(error, 'promotion-not-found')) console.error(error.detail);
 *   else throw error;
 * }
 * ```
 */
export class PromoterError extends Error {
  override readonly name = 'PromoterError';
  /** HTTP status, e.g. 404. */
  readonly status: number;
  /** Stable machine-readable code, e.g. `promotion-not-found`, `validation-failed`. */
  readonly code: string;
  /** The problem type URI. */
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly instance: string | undefined;
  /** Field errors of a validation problem: JSON pointers (`/body/target/namespace`) and what is wrong. */
  readonly errors: readonly FieldError[];
  /** The service's `x-request-id` for this request: quote it when asking what happened. */
  readonly requestId: string | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;
  /** From a `Retry-After` header, when the service sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(init: PromoterErrorInit) {
    super(init.detail ? `${init.title}: ${init.detail}` : init.title);
    this.status = init.status;
    this.code = init.code;
    this.type = init.type;
    this.title = init.title;
    this.detail = init.detail;
    this.instance = init.instance;
    this.errors = init.errors ?? [];
    this.requestId = init.requestId;
    this.method = init.method;
    this.url = init.url;
    this.retryAfterMs = init.retryAfterMs;
  }

  /**
   * The problem document, as the service sent it (for logging or `--json` output). `code` stays a string:
   * a newer service may answer with a code this SDK does not list yet.
   */
  toJSON(): Omit<Problem, 'code'> & { code: string; requestId?: string } {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      code: this.code,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      ...(this.instance === undefined ? {} : { instance: this.instance }),
      ...(this.errors.length === 0 ? {} : { errors: [...this.errors] }),
      ...(this.requestId === undefined ? {} : { requestId: this.requestId }),
    };
  }
}

/**
 * No answer from the service: connection refused, DNS failure, reset, or no answer within the timeout.
 * The original error is in `cause`.
 *
 * @example
 * ```ts
 * catch (error) {
 *   if (isPromoterNetworkError(error)) console.error(`cannot reach ${error.url}: ${error.message}`);
 * }
 * ```
 */
export class PromoterNetworkError extends Error {
  override readonly name = 'PromoterNetworkError';
  readonly method: string;
  readonly url: string;
  /**
   * True when no connection could be opened (refused, unknown host), so the request surely never reached
   * the service: even a call that is not idempotent may then be retried safely.
   */
  readonly connectionFailed: boolean;
  /** True when the request was sent but no answer came within the client's timeout. */
  readonly timedOut: boolean;

  constructor(init: { method: string; url: string; cause: unknown; timedOut?: boolean }) {
    const reason = init.timedOut ? 'no answer within the timeout' : describeCause(init.cause);
    super(`${init.method} ${init.url} failed: ${reason}`, { cause: init.cause });
    this.method = init.method;
    this.url = init.url;
    this.timedOut = init.timedOut ?? false;
    this.connectionFailed = !this.timedOut && CONNECT_FAILURES.has(causeCode(init.cause) ?? '');
  }
}

/**
 * `waitForPromotion` (or another wait) ran out of time before the promotion finished. The promotion itself
 * goes on: only the waiting stopped.
 *
 * @example
 * ```ts
 * await client.waitForPromotion(id, { timeoutMs: 600_000 }).catch((error) => {
 *   if (error instanceof PromoterTimeoutError) console.error(`still ${error.lastState} after 10 minutes`);
 *   throw error;
 * });
 * ```
 */
export class PromoterTimeoutError extends Error {
  override readonly name = 'PromoterTimeoutError';
  readonly code = 'timeout';
  constructor(
    readonly promotionId: string,
    readonly timeoutMs: number,
    readonly lastState: string | undefined,
  ) {
    super(`promotion ${promotionId} did not finish within ${timeoutMs} ms (last state: ${lastState ?? 'unknown'})`);
  }
}

/**
 * The caller's `AbortSignal` stopped a request or a wait. The signal's reason is in `cause`.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * process.once('SIGINT', () => controller.abort());
 * await client.waitForPromotion(id, { signal: controller.signal }).catch((error) => {
 *   if (error instanceof PromoterAbortError) return; // the user stopped waiting
 *   throw error;
 * });
 * ```
 */
export class PromoterAbortError extends Error {
  override readonly name = 'PromoterAbortError';
  readonly code = 'aborted';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/**
 * Type guard for an API problem, optionally of a given code.
 *
 * @example
 * ```ts
 * if (isPromoterError(error, 'promotion-already-active')) console.log('another promotion runs for this target');
 * ```
 */
export function isPromoterError(error: unknown, code?: ProblemCode | (string & {})): error is PromoterError {
  return error instanceof PromoterError && (code === undefined || error.code === code);
}

/**
 * Type guard for "the service did not answer".
 *
 * @example
 * ```ts
 * if (isPromoterNetworkError(error)) process.exitCode = 3;
 * ```
 */
export function isPromoterNetworkError(error: unknown): error is PromoterNetworkError {
  return error instanceof PromoterNetworkError;
}

/** Builds a PromoterError from an error response and its (possibly non-JSON) body. */
export function problemFromResponse(response: Response, body: unknown, method?: string): PromoterError {
  const problem = isRecord(body) ? body : {};
  const text = typeof body === 'string' ? body.trim().slice(0, 200) : undefined;
  const status = response.status;
  const code = typeof problem.code === 'string' ? problem.code : `http-${status}`;
  return new PromoterError({
    status,
    code,
    type: typeof problem.type === 'string' ? problem.type : 'about:blank',
    title: typeof problem.title === 'string' ? problem.title : response.statusText || `HTTP ${status}`,
    detail: typeof problem.detail === 'string' ? problem.detail : text || undefined,
    instance: typeof problem.instance === 'string' ? problem.instance : undefined,
    errors: Array.isArray(problem.errors) ? problem.errors.filter(isFieldError) : [],
    requestId: response.headers.get('x-request-id') ?? undefined,
    method,
    url: response.url || undefined,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
  });
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds from now. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

// undici reports why a connection could not be opened in `cause.code`; these mean nothing was sent.
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function causeCode(cause: unknown): string | undefined {
  for (let current = cause, depth = 0; isRecord(current) && depth < 4; current = current.cause, depth++) {
    if (typeof current.code === 'string') return current.code;
    // AggregateError (several addresses tried): the first one says enough.
    if (Array.isArray(current.errors) && isRecord(current.errors[0]) && typeof current.errors[0].code === 'string') {
      return current.errors[0].code;
    }
  }
  return undefined;
}

function describeCause(cause: unknown): string {
  const code = causeCode(cause);
  const innermost = isRecord(cause) && cause.cause instanceof Error ? cause.cause.message : undefined;
  const message = cause instanceof Error ? cause.message : String(cause);
  return [innermost && innermost !== message ? `${message} (${innermost})` : message, code && !message.includes(code) && !innermost?.includes(code) ? code : undefined]
    .filter(Boolean)
    .join(' ');
}

function isRecord(value: unknown): value is Record<string, unknown> & { cause?: unknown; errors?: unknown } {
  return typeof value === 'object' && value !== null;
}

function isFieldError(value: unknown): value is FieldError {
  return isRecord(value) && typeof value.pointer === 'string' && typeof value.detail === 'string';
}
