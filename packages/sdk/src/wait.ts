/** waitForPromotion: follow a promotion until it ends, and answer with its final record. */
import { PromoterAbortError, PromoterTimeoutError } from './errors.js';
import type { FollowOptions } from './promotion-events.js';
import type { PromotionsApi } from './promotions.js';
import type { PromotionDetail, PromotionEvent } from './types.js';

export interface WaitOptions {
  /** Called for every event of the timeline, the past ones first; awaited, so it may be async. */
  readonly onEvent?: ((event: PromotionEvent) => void | Promise<void>) | undefined;
  /** Stops waiting: the wait rejects with PromoterAbortError. The promotion itself goes on. */
  readonly signal?: AbortSignal | undefined;
  /** Gives up after this long: the wait rejects with PromoterTimeoutError. Default: no limit. */
  readonly timeoutMs?: number | undefined;
  /** Poll interval when the event stream is unavailable. Default 2000 ms. */
  readonly pollIntervalMs?: number | undefined;
  /** Start after this event id (default 0: `onEvent` sees the whole timeline). */
  readonly after?: number | undefined;
  /** `auto` (default): SSE, else polling. `poll` forces polling; `sse` fails when SSE is unavailable. */
  readonly transport?: FollowOptions['transport'];
  /** Told when the SDK falls back from SSE to polling, and why. */
  readonly onFallback?: ((reason: string) => void) | undefined;
}

/** What waitForPromotion needs of a client. */
export interface WaitClient {
  readonly promotions: Pick<PromotionsApi, 'follow' | 'get'>;
}

/**
 * Follows a promotion (SSE, or polling when SSE is unavailable) until it reaches a terminal state —
 * `succeeded`, `rejected`, `rolled_back`, `aborted` or `failed` — and resolves with its whole record (as
 * `promotions.get` returns it). It resolves for every terminal state: check `state` for the outcome. It
 * rejects with PromoterTimeoutError after `timeoutMs`, PromoterAbortError when `signal` aborts, and with the
 * request's error when the service refuses (404) or stays unreachable.
 *
 * @example
 * ```ts
 * const final = await waitForPromotion(client, promotion.id, {
 *   timeoutMs: 30 * 60_000,
 *   onEvent: (event) => console.log(event.at, event.to ?? event.type, event.reason ?? ''),
 * });
 * if (final.state !== 'succeeded') process.exitCode = 1;
 * ```
 */
export async function waitForPromotion(client: WaitClient, id: string, options: WaitOptions = {}): Promise<PromotionDetail> {
  const { signal, timeoutMs } = options;
  if (signal?.aborted) throw new PromoterAbortError(`stopped waiting for promotion ${id}`, signal.reason);
  const controller = new AbortController();
  let timedOut = false;
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort(new Error('timeout'));
        }, timeoutMs);
  const forward = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', forward, { once: true });
  let lastState: string | undefined;
  try {
    const events = client.promotions.follow(id, {
      signal: controller.signal,
      after: options.after,
      pollIntervalMs: options.pollIntervalMs,
      transport: options.transport,
      onFallback: options.onFallback,
    });
    for await (const event of events) {
      if (event.to) lastState = event.to;
      await options.onEvent?.(event);
    }
    return await client.promotions.get(id, { signal: controller.signal });
  } catch (error) {
    if (timedOut) throw new PromoterTimeoutError(id, timeoutMs ?? 0, lastState);
    if (signal?.aborted) throw new PromoterAbortError(`stopped waiting for promotion ${id} (last state: ${lastState ?? 'unknown'})`, signal.reason);
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', forward);
  }
}
