/**
 * What to do after an attempt: delivered, try again later (exponential backoff with full jitter, or the
 * receiver's Retry-After), or give up. Pure, so every rule is tested without a network.
 */
import type { DeliveryPolicy } from './sinks-config.js';
import { counted } from '../domain/counted.js';

/** What one attempt came to. `status` is absent when no response came (timeout, connection error). */
export interface AttemptResult {
  readonly status?: number;
  readonly error?: string;
  /** The response's Retry-After, as sent. */
  readonly retryAfter?: string;
}

export type Decision =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retry'; readonly delayMs: number }
  /** Final: a 4xx the receiver will not change its mind about, or the last try failed. */
  | { readonly kind: 'dead'; readonly why: string };

export function decide(result: AttemptResult, attempts: number, ageMs: number, policy: DeliveryPolicy, now: Date, random: () => number = Math.random): Decision {
  const status = result.status;
  if (status !== undefined && status >= 200 && status < 300) return { kind: 'delivered' };
  const retryable = status === undefined || status >= 500 || status === 408 || status === 429;
  if (!retryable) return { kind: 'dead', why: `HTTP ${status} is final (only 408, 429 and 5xx are retried)` };
  if (attempts >= policy.maxAttempts) return { kind: 'dead', why: `no success after ${counted(attempts, 'attempt')}` };
  const honoured = parseRetryAfter(result.retryAfter, now);
  // Full jitter below the exponential bound, so replicas and sinks do not retry in step.
  const bound = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.min(attempts - 1, 30));
  const delayMs = honoured !== undefined ? Math.min(honoured, 24 * 3_600_000) : Math.round(bound / 2 + (random() * bound) / 2);
  if (ageMs + delayMs > policy.maxAgeMs) return { kind: 'dead', why: `the next try would be later than the maximum age of ${policy.maxAgeMs} ms` };
  return { kind: 'retry', delayMs };
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 section 10.2.3), in ms from `now`. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}
