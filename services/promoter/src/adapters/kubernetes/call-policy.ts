/**
 * Deadlines and retries for Kubernetes calls.
 *
 * Timeout: client-node 1.4's generated API methods take no AbortSignal, but each accepts per-call
 * `ConfigurationOptions` whose middleware runs on the `RequestContext` before it is sent, and
 * `RequestContext.setSignal()` is handed to node-fetch. Each attempt gets its own AbortController: its
 * signal goes into the request through that middleware (so a hung request is really torn down), and the
 * attempt is also raced against the same timer, so the call settles on time even where the signal cannot
 * reach (e.g. an exec credential plugin that hangs before the request exists).
 *
 * Retries: errors marked `retryable` (network errors, 429, 5xx, 409, timeouts of one attempt) are tried
 * again with exponential backoff and jitter, up to `attempts` in all, and never past the call's overall
 * `timeoutMs`: when the budget is spent the call fails with the last error (or `timeout`).
 */
import { AttemptTimeoutError, KubernetesError, type KubernetesOperation } from './kubernetes-error.js';
import { toKubernetesError } from './client-node-errors.js';
import type { DeploymentRef } from './types.js';

export interface CallPolicy {
  /** Budget for a whole call, retries and backoff included, in ms. */
  readonly timeoutMs: number;
  /** Limit for one attempt, in ms (capped by what is left of `timeoutMs`). */
  readonly attemptTimeoutMs: number;
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Backoff before the second attempt; doubles each time, with jitter, up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_CALL_POLICY: CallPolicy = {
  timeoutMs: 10_000,
  attemptTimeoutMs: 10_000,
  attempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
};

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Delay before attempt `n + 1` (n >= 1): base * 2^(n-1), capped, with "equal jitter" (half fixed, half random). */
export function backoffDelay(policy: CallPolicy, n: number, random: () => number = Math.random): number {
  const capped = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
  return capped / 2 + random() * (capped / 2);
}

/** Runs one attempt with its own abort signal, failing with AttemptTimeoutError after `ms`. */
async function runAttempt<T>(attempt: (signal: AbortSignal) => Promise<T>, ms: number): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new AttemptTimeoutError(ms);
      controller.abort(err);
      reject(err);
    }, ms);
  });
  const work = attempt(controller.signal);
  // Whichever promise loses the race may still reject later; that must not surface as unhandled.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

export async function callWithPolicy<T>(
  policy: CallPolicy,
  operation: KubernetesOperation,
  target: DeploymentRef,
  attempt: (signal: AbortSignal) => Promise<T>,
  sleep: Sleep = realSleep,
): Promise<T> {
  const deadline = Date.now() + policy.timeoutMs;
  let last: KubernetesError | undefined;
  for (let n = 1; n <= policy.attempts; n++) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    try {
      return await runAttempt(attempt, Math.min(policy.attemptTimeoutMs, remaining));
    } catch (err) {
      last = toKubernetesError(err, operation, target);
      if (!last.retryable || n === policy.attempts) throw last;
      const delay = backoffDelay(policy, n);
      if (Date.now() + delay >= deadline) throw last;
      await sleep(delay);
    }
  }
  throw (
    last ??
    new KubernetesError({ code: 'timeout', operation, target, message: `no attempt could start within ${policy.timeoutMs} ms` })
  );
}
