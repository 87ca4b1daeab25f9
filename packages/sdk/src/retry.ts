/**
 * When a failed call may be sent again, and how long to wait before it.
 *
 * Two kinds of calls:
 * - `idempotent`: GETs, `PUT /v1/policies/{name}` (the same document stores nothing new), evaluations (they
 *   patch nothing) and `promotions.create` (it always carries an `Idempotency-Key`, and a retry reuses it, so
 *   the service answers the retry with the promotion the first attempt created). These retry on any network
 *   error and on 502/503/504/429.
 * - `unsafe`: approve, abort, rollback, policy delete, token create and revoke. A retry after an ambiguous failure (connection reset,
 *   502, 504: the first attempt may have been applied) could answer 409/404 for an action that did succeed,
 *   so these retry only when the request surely was not processed: no connection could be opened, 429, or a
 *   503 whose problem says the database was unavailable ("nothing was changed").
 */
import { PromoterError, PromoterNetworkError } from './errors.js';

export interface RetryOptions {
  /** Total attempts, the first included; 1 turns retries off. Default 3. */
  readonly attempts: number;
  /** Delay before the first retry; it doubles on each further one (with jitter). Default 200 ms. */
  readonly baseDelayMs: number;
  /** Upper bound of one delay, also for a service's `Retry-After`. Default 5000 ms. */
  readonly maxDelayMs?: number;
}

/** `none`: never retried (a health probe wants the answer of now). */
export type RetryMode = 'idempotent' | 'unsafe' | 'none';

export const DEFAULT_RETRY: Required<RetryOptions> = { attempts: 3, baseDelayMs: 200, maxDelayMs: 5_000 };

const AMBIGUOUS_STATUSES = new Set([502, 503, 504]);

/** Whether `error`, from a call of this mode, may be retried. */
export function isRetryable(error: unknown, mode: RetryMode): boolean {
  if (mode === 'none') return false;
  if (error instanceof PromoterNetworkError) return mode === 'idempotent' || error.connectionFailed;
  if (error instanceof PromoterError) {
    if (error.status === 429) return true;
    if (mode === 'idempotent') return AMBIGUOUS_STATUSES.has(error.status);
    return error.status === 503 && error.code === 'database-unavailable';
  }
  return false;
}

/** Exponential backoff with "equal jitter" (half fixed, half random), or the service's Retry-After. */
export function retryDelay(retry: number, options: RetryOptions, retryAfterMs?: number, random: () => number = Math.random): number {
  const max = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  if (retryAfterMs !== undefined) return Math.min(max, retryAfterMs);
  const exponential = Math.min(max, options.baseDelayMs * 2 ** (retry - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/**
 * Runs `attempt` until it succeeds, fails in a way that must not be retried, or runs out of attempts.
 * The last error is thrown as it is.
 */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: { mode: RetryMode; retry: RetryOptions; signal?: AbortSignal | undefined },
): Promise<T> {
  const attempts = Math.max(1, Math.floor(options.retry.attempts));
  for (let number = 1; ; number++) {
    try {
      return await attempt(number);
    } catch (error) {
      if (number >= attempts || !isRetryable(error, options.mode) || options.signal?.aborted) throw error;
      const retryAfter = error instanceof PromoterError ? error.retryAfterMs : undefined;
      await sleep(retryDelay(number, options.retry, retryAfter), options.signal);
    }
  }
}

/** Resolves after `ms`, or early (without rejecting) when the signal aborts: the caller checks the signal. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
